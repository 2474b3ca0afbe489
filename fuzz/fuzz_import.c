/* libFuzzer target: trajectory import with field maps. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "skillsmith/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first line, if it starts with '#', holds FIELD=PATH maps. */
	struct import_options o = IMPORT_OPTIONS_INIT;
	char *text = xstrndup((const char *)data, size);
	char *body = text;
	if (text[0] == '#') {
		char *nl = strchr(text, '\n');
		if (nl) {
			*nl = '\0';
			body = nl + 1;
		} else {
			body = text + strlen(text);
		}
		for (char *tok = strtok(text + 1, " "); tok; tok = strtok(NULL, " "))
			import_add_map(&o, tok);
	}
	struct import_set set;
	memset(&set, 0, sizeof(set));
	import_parse(&set, body, strlen(body), "fuzz.jsonl", &o);
	import_set_release(&set);
	free(text);
	return 0;
}
