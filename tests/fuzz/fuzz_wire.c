/*
 * fuzz_wire.c - libFuzzer target for the frame decoder: any octets are fed
 * to pc_msg_decode; accepted frames are walked (nested fields, accessors)
 * and re-encoded, and the re-encoding must decode again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pc_msg_t m, m2;
    pc_wbuf_t b;
    char text[PC_TEXT_MAX + 1];

    /* a copy of exactly size octets, so ASan sees any over-read */
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    if (pc_msg_decode(copy, size, &m) != 0) {
        free(copy);
        return 0;
    }
    pc_wbuf_init(&b, 0);
    pc_wbuf_frame_begin(&b, m.hdr.type, m.hdr.flags, m.hdr.id);
    for (uint16_t i = 0; i < m.ntlv; i++) {
        pc_tlv_t it = {0, 0, NULL};
        (void)pc_tlv_u8(&m.tlv[i]);
        (void)pc_tlv_u32(&m.tlv[i]);
        (void)pc_tlv_i32(&m.tlv[i]);
        (void)pc_tlv_u64(&m.tlv[i]);
        (void)pc_tlv_copy_text(&m.tlv[i], text, sizeof(text));
        while (pc_tlv_next(&m.tlv[i], &it))
            (void)pc_tlv_copy_text(&it, text, sizeof(text));
        pc_wbuf_bytes(&b, m.tlv[i].type, m.tlv[i].val, m.tlv[i].len);
    }
    if (pc_wbuf_frame_end(&b) != 0 || pc_msg_decode(b.data, b.len, &m2) != 0 ||
        m2.ntlv != m.ntlv)
        abort();
    pc_wbuf_free(&b);
    free(copy);
    return 0;
}
