/*
 * Import benchmark: parse, check and store 20,000 trajectories (JSONL and
 * a JSON array) into a fresh store.  Prints TSV rows
 * "figure<TAB>value<TAB>unit<TAB>aim".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/import.h"
#include "skillsmith/store.h"

#define N 20000

static void run(const char *name, const char *text, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char *db = xasprintf("%s/bench-import.%ld.db", dir ? dir : "/tmp", (long)getpid());
	unlink(db);
	struct store *st;
	if (store_open(&st, db, 0) < 0) {
		fprintf(stderr, "bench_import: %s\n", ss_err_last());
		exit(1);
	}
	struct import_options o = IMPORT_OPTIONS_INIT;
	o.config_json = "{}";
	struct import_set set;
	char *id = NULL;
	int64_t t0 = ss_now_us();
	if (import_parse(&set, text, len, name, &o) < 0)
		goto fail;
	int64_t t1 = ss_now_us();
	if (import_store(st, &set, &o, &id) < 0)
		goto fail;
	int64_t t2 = ss_now_us();
	printf("import_%s_parse_records_per_s\t%.0f\trecords/s\t-\n", name, N / ((t1 - t0) / 1e6));
	printf("import_%s_total_records_per_s\t%.0f\trecords/s\t-\n", name, N / ((t2 - t0) / 1e6));
	import_set_release(&set);
	free(id);
	store_close(st);
	char *wal = xasprintf("%s-wal", db), *shm = xasprintf("%s-shm", db);
	unlink(db);
	unlink(wal);
	unlink(shm);
	free(wal);
	free(shm);
	free(db);
	return;
fail:
	fprintf(stderr, "bench_import: %s\n", ss_err_last());
	exit(1);
}

int main(void)
{
	struct buf jsonl = BUF_INIT, arr = BUF_INIT;
	buf_adds(&arr, "[\n");
	for (int i = 0; i < N; i++) {
		char *rec = xasprintf(
			"{\"instance_id\": \"cal-%05d\", \"input\": \"What date is %d days after 2024-01-01?\","
			" \"messages\": [{\"role\": \"user\", \"content\": \"What date is %d days after 2024-01-01?\"},"
			" {\"role\": \"assistant\", \"content\": \"Add the days month by month.\\nAnswer: 2024-02-%02d\"}],"
			" \"output\": \"2024-02-%02d\", \"outcome\": %d, \"tokens\": {\"prompt\": 120, \"completion\": 30},"
			" \"latency_ms\": 800, \"type\": \"offset\"}",
			i, i % 300, i % 300, 1 + i % 28, 1 + i % 28, i % 3 == 0);
		buf_addf(&jsonl, "%s\n", rec);
		buf_addf(&arr, "  %s%s\n", rec, i + 1 < N ? "," : "");
		free(rec);
	}
	buf_adds(&arr, "]\n");
	run("jsonl", jsonl.buf, jsonl.len);
	run("array", arr.buf, arr.len);
	buf_release(&jsonl);
	buf_release(&arr);
	return 0;
}
