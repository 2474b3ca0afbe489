/* libFuzzer target: server-sent-event streams of both provider kinds, fed
 * in chunks whose sizes come from the input itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skillsmith/common.h"
#include "skillsmith/sse.h"
#include "src/llm_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	struct llm_acc acc;
	int anthropic;
};

static int on_event(const char *event, const char *d, size_t len, void *payload)
{
	struct ctx *c = payload;
	if (c->anthropic)
		return llm_anthropic_event(event, d, len, &c->acc);
	return llm_openai_event(event, d, len, &c->acc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct ctx c;
	struct sse p;
	c.anthropic = data[0] & 1;
	size_t step = (size_t)(data[1] % 61) + 1;
	data += 2;
	size -= 2;
	llm_acc_init(&c.acc);
	sse_init(&p, on_event, &c);
	for (size_t off = 0; off < size; off += step) {
		size_t n = size - off < step ? size - off : step;
		if (sse_feed(&p, (const char *)data + off, n) < 0)
			break;
	}
	sse_release(&p);
	llm_acc_release(&c.acc);
	return 0;
}
