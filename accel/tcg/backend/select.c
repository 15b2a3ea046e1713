/*
 * Which code generator the DBT uses: `-accel tcg,backend=native|interp`, defaulting to
 * the native one where the host has it.
 */
#include <string.h>

#include "accel/tcg/backend.h"

const TBBackend *tb_backend_default(void)
{
#if defined(__x86_64__)
    return &tb_backend_x86_64;
#else
    return &tb_backend_interp;
#endif
}

const TBBackend *tb_backend_find(const char *name, size_t len)
{
    static const TBBackend *const all[] = {
#if defined(__x86_64__)
        &tb_backend_x86_64,
#endif
        &tb_backend_interp,
    };

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (strlen(all[i]->name) == len && !strncmp(all[i]->name, name, len)) {
            return all[i];
        }
    }
    return NULL;
}

const char *tb_backend_names(void)
{
#if defined(__x86_64__)
    return "native, interp";
#else
    return "interp";
#endif
}
