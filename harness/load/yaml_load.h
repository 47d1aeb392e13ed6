#ifndef PE_YAML_H
#define PE_YAML_H
/*
 * The YAML loader: the only module that uses libyaml.  It turns one YAML
 * document into a struct pe_doc tree with source marks, resolving plain
 * scalars by the YAML 1.2 core schema (as gopkg.in/yaml.v3 does for
 * gh-models), anchors, aliases and "<<" merge keys.
 *
 * Syntax problems become positioned diagnostics.  Called by the prompt and
 * dataset loaders.
 */
#include <stddef.h>

#include "harness/core/diag.h"
#include "harness/core/node.h"

/*
 * Parses data (len bytes) read from path.  Aliases may add at most
 * max_bytes to the document written out in full (the caller passes the
 * size of the largest file it reads); one that would add more is an
 * error at the alias.  A NUL in any string is an error at the NUL.
 * Returns a document, possibly with a NULL root for an empty file, or
 * NULL after recording at least one error in diag.  The caller owns the
 * document.
 */
struct pe_doc *pe_yaml_load(const char *path, const char *data, size_t len,
			    size_t max_bytes, struct pe_diag *diag);

/* The libyaml version, for --version. */
const char *pe_yaml_version(void);

#endif
