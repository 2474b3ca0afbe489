/* libFuzzer target: provider response bodies (chat, embeddings, errors). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "src/llm_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int which = data[0] % 4;
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	struct llm_acc a;
	llm_acc_init(&a);
	switch (which) {
	case 0: llm_openai_parse(body, len, &a); break;
	case 1: llm_anthropic_parse(body, len, &a); break;
	case 2: llm_openai_parse_embed(body, len, 3, &a); break;
	default: {
		char *type = NULL;
		char *msg = llm_error_message(body, len, &type);
		free(msg);
		free(type);
		break;
	}
	}
	llm_acc_release(&a);
	return 0;
}
