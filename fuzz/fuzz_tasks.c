/* libFuzzer target: the JSONL task loader. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "skillsmith/config.h"
#include "skillsmith/tasks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grader_config g;
	struct task_set ts;
	grader_config_init(&g);
	memset(&ts, 0, sizeof(ts));
	tasks_parse(&ts, (const char *)data, size, "fuzz.jsonl", "/nonexistent", &g);
	tasks_release(&ts);
	grader_config_release(&g);
	return 0;
}
