/* libFuzzer target: the config parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "skillsmith/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct config c; /* config_parse() initialises it */
	if (config_parse(&c, text, "fuzz.json") == 0) {
		char *snap = config_to_json(&c);
		free(snap);
	}
	config_release(&c);
	free(text);
	return 0;
}
