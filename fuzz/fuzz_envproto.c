/* libFuzzer target: the environment protocol's replies. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include "skillsmith/common.h"
#include "skillsmith/envproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = xstrndup((const char *)data, size);
	char *obs = NULL;
	cJSON *tools = NULL;
	if (envproto_parse_reset(line, &obs, &tools) == 0) {
		free(obs);
		cJSON_Delete(tools);
	}
	struct envproto_step st;
	memset(&st, 0, sizeof(st));
	if (envproto_parse_step(line, &st) == 0)
		envproto_step_release(&st);
	free(line);
	return 0;
}
