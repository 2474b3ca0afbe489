#include <stdio.h>
int main(void)
{
	fputs("skillsmith-sim: simulation server not yet available\n", stderr);
	return 1;
}
