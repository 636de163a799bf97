/* The document's always-array element paths (internal to xml2json). */
#pragma once

#include <stddef.h>

extern const char *const xml2json_array_paths[];
extern const size_t xml2json_n_array_paths;
