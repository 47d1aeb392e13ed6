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
 * Parses data (len bytes) read from path.  Returns a document, possibly
 * with a NULL root for an empty file, or NULL after recording at least one
 * error in diag.  The caller owns the document.
 */
struct pe_doc *pe_yaml_load(const char *path, const char *data, size_t len,
			    struct pe_diag *diag);

/* The libyaml version, for --version. */
const char *pe_yaml_version(void);

#endif
