/*
 * diag.c - helpers that fill parse errors and warning lists.
 */
#include <stdarg.h>
#include <stdio.h>

#include "diag.h"

void pc_perr_set(pc_perr_t *e, size_t pos, const char *fmt, ...)
{
    va_list ap;

    if (e == NULL)
        return;
    e->pos = pos;
    va_start(ap, fmt);
    vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
    va_end(ap);
}

void pc_warn_add(pc_warnings_t *w, const char *code, const char *fmt, ...)
{
    va_list ap;
    pc_warning_t *slot;

    if (w == NULL)
        return;
    if (w->n >= PC_WARN_MAX) {
        w->dropped++;
        return;
    }
    slot = &w->w[w->n++];
    slot->code = code;
    va_start(ap, fmt);
    vsnprintf(slot->text, sizeof(slot->text), fmt, ap);
    va_end(ap);
}
