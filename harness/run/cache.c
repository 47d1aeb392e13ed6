/*
 * The response cache (see cache.h): one JSON file per entry, under a
 * directory named by the key's first two hex digits.
 */
#include "harness/run/cache.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/diag.h"
#include "harness/core/files.h"
#include "harness/core/json.h"
#include "harness/core/node.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum { MAX_CACHE_ENTRY = 64 * 1024 * 1024 };

/* Computes a cache key; see cache.h. */
void pe_cache_key(const char *provider, const char *base_url, const char *body,
		  size_t body_len, int has_repeat, unsigned repeat,
		  char key[PE_SHA256_HEX_LEN + 1])
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	pe_buf_addf(&b, "prompteval-cache-v1%c%s%c%s%c", 0, provider, 0,
		    base_url ? base_url : "", 0);
	pe_buf_add(&b, body, body_len);
	if (has_repeat)
		pe_buf_addf(&b, "%crepeat=%u", 0, repeat);
	pe_sha256_hex(b.data, b.len, key);
	pe_buf_release(&b);
}

static char *entry_path(const char *dir, const char *key)
{
	return xstrfmt("%s/%.2s/%s.json", dir, key, key + 2);
}

static char *copy_text(const struct pe_node *n)
{
	return n && n->kind == PE_NODE_STRING ? xstrndup(n->text, n->len)
					      : NULL;
}

static long copy_long(const struct pe_node *n)
{
	return n && n->kind == PE_NODE_INT ? (long)n->ival : -1;
}

/* Reads an entry; see cache.h. */
int pe_cache_get(const char *dir, const char *key, struct pe_result *out)
{
	char *path = entry_path(dir, key);
	struct pe_diag *diag = pe_diag_new();
	struct pe_mark m = { path, 1, 1 };
	struct pe_doc *doc = NULL;
	const struct pe_node *root, *output;
	char *data;
	size_t len;
	int rc = PE_ERR_IO;

	if (access(path, R_OK) ||
	    pe_file_read(path, MAX_CACHE_ENTRY, &data, &len, diag))
		goto done;
	doc = pe_doc_new(path, NULL, 0);
	root = pe_json_parse(doc, data, len, &m, diag);
	free(data);
	output = pe_node_get(root, "output");
	if (!output || output->kind != PE_NODE_STRING)
		goto done;
	out->output = xstrndup(output->text, output->len);
	out->output_len = output->len;
	out->finish_reason = copy_text(pe_node_get(root, "finish_reason"));
	out->served_model = copy_text(pe_node_get(root, "served_model"));
	out->tokens_in = copy_long(pe_node_get(root, "tokens_in"));
	out->tokens_out = copy_long(pe_node_get(root, "tokens_out"));
	out->http_status = copy_long(pe_node_get(root, "http_status"));
	rc = PE_OK;
done:
	pe_doc_free(doc);
	pe_diag_free(diag);
	free(path);
	return rc;
}

/* Removes the entries' stale temporary files; see cache.h. */
size_t pe_cache_remove_stale(const char *dir, time_t before)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t removed = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char *sub;

		/* Entry directories are named by two hex digits. */
		if (strlen(e->d_name) != 2 ||
		    strspn(e->d_name, "0123456789abcdef") != 2)
			continue;
		sub = xstrfmt("%s/%s", dir, e->d_name);
		removed += pe_atomic_remove_stale(sub, before);
		free(sub);
	}
	closedir(d);
	return removed;
}

/* Writes an entry atomically; see cache.h. */
int pe_cache_put(const char *dir, const char *key, const struct pe_result *c)
{
	char *sub = xstrfmt("%s/%.2s", dir, key);
	char *path = entry_path(dir, key);
	struct pe_buf b;
	int ok;

	pe_buf_init(&b, 0);
	pe_buf_adds(&b, "{\"output\":");
	pe_json_quote(&b, c->output ? c->output : "", c->output_len);
	pe_buf_adds(&b, ",\"finish_reason\":");
	pe_json_str(&b, c->finish_reason);
	pe_buf_adds(&b, ",\"served_model\":");
	pe_json_str(&b, c->served_model);
	pe_json_count_member(&b, "tokens_in", c->tokens_in);
	pe_json_count_member(&b, "tokens_out", c->tokens_out);
	pe_json_count_member(&b, "http_status", c->http_status);
	pe_buf_adds(&b, "}\n");
	ok = !pe_make_dirs(sub, 1) &&
	     !pe_file_write_atomic(path, b.data, b.len, 1);
	pe_buf_release(&b);
	free(path);
	free(sub);
	return ok ? PE_OK : PE_ERR_IO;
}
