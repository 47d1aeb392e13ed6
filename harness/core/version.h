#ifndef PE_VERSION_H
#define PE_VERSION_H
/* The project version, printed by --version and written in results. */
#define PE_VERSION "0.1.0"
#endif
