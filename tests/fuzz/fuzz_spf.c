/*
 * fuzz_spf.c - libFuzzer target for the SPF grammar (proto/spf.h,
 * proto/spf_macro.h). The input is parsed as a record, walked as a
 * macro-string under each flag set, and cut into a TXT RRset ('\n' between
 * records, '|' between character-strings; also as raw RDATA) for selection.
 * Broken invariants abort().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "polcache/error.h"
#include "spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RRS 16
#define FUZZ_STRS 64

static void require(int cond)
{
    if (!cond)
        abort();
}

static int field_cb(void *arg, const char *name, const char *value,
                    unsigned flags)
{
    unsigned *n = arg;

    require(name != NULL && value != NULL && name[0] != '\0');
    require(strlen(name) <= PC_SPF_FIELD_NAME_MAX);
    require(strlen(value) <= PC_SPF_TEXT_MAX);
    require(flags == PC_FIELD_EXPLICIT || flags == PC_FIELD_DEFAULT);
    (*n)++;
    return 0;
}

static int stop_cb(void *arg, const char *name, const char *value,
                   unsigned flags)
{
    (void)arg, (void)name, (void)value, (void)flags;
    return PC_ECANCELED;
}

/* Tokens must tile the string exactly when it is valid. */
static void walk_macro(const char *s, size_t len, unsigned flags)
{
    pc_spf_macro_iter_t it;
    pc_spf_mtok_t tok;
    pc_perr_t err;
    size_t end = 0;
    int rc, check;

    require(pc_spf_macro_init(&it, s, len, flags) == 0);
    while ((rc = pc_spf_macro_next(&it, &tok, &err)) == 1) {
        require(tok.off == end && tok.len > 0 && tok.off + tok.len <= len);
        require(tok.kind == PC_SPF_MTOK_MACRO ? tok.text == NULL &&
                tok.keep <= PC_SPF_MACRO_KEEP_MAX && strlen(tok.delims) < 8
                : tok.text != NULL && tok.text_len > 0);
        end = tok.off + tok.len;
    }
    require(rc == 0 || rc == PC_ERECORD);
    require(rc != 0 || end == len);
    require(rc == 0 || err.pos <= len);
    check = pc_spf_macro_check(s, len, flags, NULL, NULL);
    require(check == rc);
    rc = pc_spf_domain_spec_check(s, len, flags, NULL, &err);
    require(rc == 0 || (rc == PC_ERECORD && err.pos <= len));
    require(rc != 0 || check == 0);
}

static void check_record(const pc_spf_record_t *rec)
{
    unsigned i, n = 0;

    require(rec->nterms <= PC_SPF_TERMS_MAX && rec->len <= PC_SPF_TEXT_MAX);
    require(rec->text[rec->len] == '\0');
    require(rec->lookups <= rec->nterms);
    for (i = 0; i < rec->nterms; i++) {
        const pc_spf_term_t *t = &rec->terms[i];
        const char *arg = rec->text + t->arg.off;

        require((size_t)t->text.off + t->text.len <= rec->len);
        require(t->arg.off + t->arg.len <= t->text.off + t->text.len);
        require(t->kind >= PC_SPF_MECH_ALL && t->kind <= PC_SPF_MOD_UNKNOWN);
        require(t->cidr4 <= 32 && t->cidr6 <= 128);
        if (t->kind == PC_SPF_MOD_UNKNOWN)
            require(pc_spf_macro_check(arg, t->arg.len, PC_SPF_MACRO_CRT, NULL,
                                       NULL) == 0);
        else if (t->arg.len > 0 && t->kind != PC_SPF_MECH_IP4 &&
                 t->kind != PC_SPF_MECH_IP6)
            require(pc_spf_domain_spec_check(arg, t->arg.len, 0, NULL,
                                             NULL) == 0);
    }
    require(pc_spf_fields(rec, field_cb, &n) == 0 && n == rec->nterms + 1);
    require(pc_spf_fields(rec, stop_cb, NULL) == PC_ECANCELED);
}

static void parse_one(const char *s, size_t len)
{
    pc_spf_record_t rec;
    pc_warnings_t warn;
    pc_perr_t err;
    int rc = pc_spf_parse(s, len, &rec, &warn, &err);

    if (rc == 0) {
        check_record(&rec);
        require(warn.n <= PC_WARN_MAX);
    } else {
        require(rc == PC_ERECORD && err.reason[0] != '\0' && err.pos <= len);
        require(rec.nterms == 0 && warn.n == 0);
    }
}

static void select_all(const char *s, size_t size)
{
    static const unsigned flags[] = {0, PC_SPF_MACRO_CRT, PC_SPF_MACRO_EXPLAIN};
    pc_spf_str_t strs[FUZZ_STRS], rdata[FUZZ_RRS];
    pc_spf_txt_t rrs[FUZZ_RRS];
    char buf[PC_SPF_TEXT_MAX + 1];
    size_t nrr = 0, ns = 0, p = 0, len, idx, i;
    int rc;

    for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        walk_macro(s, size, flags[i]);
    rrs[0].strs = strs;
    rrs[0].nstrs = 0;
    while (nrr < FUZZ_RRS && ns < FUZZ_STRS) {
        size_t q = p;

        while (q < size && s[q] != '\n' && s[q] != '|')
            q++;
        strs[ns].ptr = s + p;
        strs[ns++].len = q - p;
        rrs[nrr].nstrs++;
        if (q < size && s[q] == '|') {
            p = q + 1;
            continue;
        }
        rdata[nrr].ptr = rrs[nrr].strs[0].ptr;  /* the same bytes as RDATA */
        rdata[nrr].len = (size_t)(s + q - rdata[nrr].ptr);
        nrr++;
        if (q >= size || nrr == FUZZ_RRS)
            break;
        p = q + 1;
        rrs[nrr].strs = &strs[ns];
        rrs[nrr].nstrs = 0;
    }
    rc = pc_spf_select(rrs, nrr, buf, sizeof(buf), &len, &idx);
    require(rc == 0 || rc == PC_ENOENT || rc == PC_EDUP || rc == PC_ETOOBIG);
    if (rc == 0) {
        require(idx < nrr && len <= PC_SPF_TEXT_MAX && buf[len] == '\0');
        parse_one(buf, len);
    }
    rc = pc_spf_select_rdata(rdata, nrr, buf, sizeof(buf), &len, &idx);
    require(rc == 0 || rc == PC_ENOENT || rc == PC_EDUP || rc == PC_ETOOBIG ||
            rc == PC_EMALFORMED);
    if (rc == 0)
        parse_one(buf, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;

    parse_one(s, size);
    select_all(s, size);
    return 0;
}
