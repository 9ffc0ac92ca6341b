/* passes/fuse_consecutive_casts.c: Cast(Cast(x, T1), T2) is Cast(x, T2) when every
 * value of x's type T0 is exact in T1 (bool to any number, a narrower integer to a
 * wider one or to a float with enough mantissa, float to double, half types up), so
 * the second Cast sees x's own values. The outer node reads x directly.
 * Needs: uses, shapes (T0). Keeps: shapes. Fixed point: yes. */
#include "config.h"

#include "pass.h"

/* kind: 'b' bool, 'u' unsigned, 's' signed, 'f' float; bits: value bits (mantissa
 * digits for floats); 0 for types left alone. */
static char
kind(int dt, int *bits)
{
	switch (dt) {
	case OX_BOOL: *bits = 1; return 'b';
	case OX_UINT8: *bits = 8; return 'u';
	case OX_UINT16: *bits = 16; return 'u';
	case OX_UINT32: *bits = 32; return 'u';
	case OX_UINT64: *bits = 64; return 'u';
	case OX_INT8: *bits = 7; return 's';
	case OX_INT16: *bits = 15; return 's';
	case OX_INT32: *bits = 31; return 's';
	case OX_INT64: *bits = 63; return 's';
	case OX_FLOAT16: *bits = 11; return 'f';
	case OX_BFLOAT16: *bits = 8; return 'f';
	case OX_FLOAT: *bits = 24; return 'f';
	case OX_DOUBLE: *bits = 53; return 'f';
	default: *bits = 0; return 0;
	}
}

static bool
lossless(int from, int to)
{
	int fb, tb;
	char fk = kind(from, &fb), tk = kind(to, &tb);

	if (!fk || !tk)
		return false;
	if (from == to || fk == 'b')
		return true;
	if (fk == 'f')
		/* float16 and bfloat16 have different exponent ranges: each fits float. */
		return tk == 'f' && tb > fb && !(from == OX_FLOAT16 && to == OX_BFLOAT16);
	if (tk == 'f')
		return tb >= fb && (to != OX_FLOAT16 || fb <= 11) && to != OX_BFLOAT16;
	if (fk == 's')
		return tk == 's' && tb > fb;
	return (tk == 'u' && tb > fb) || (tk == 's' && tb >= fb);
}

int
ox_pass_fuse_consecutive_casts(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *c2 = g->nodes[i], *c1;
		int t0;

		if (!ox_pass_is(c2, "Cast") || c2->n_in < 1 || !c2->in[0])
			continue;
		c1 = c2->in[0]->producer;
		if (!c1 || c1->graph != g || !ox_pass_is(c1, "Cast") || !c1->in[0])
			continue;
		t0 = ox_pass_elem(c1->in[0]);
		if (!t0 || !ox_node_attr(c1, "to") || !lossless(t0, (int)ox_node_attr_int(c1, "to", 0)))
			continue;
		if ((r = ox_node_set_input(c2, 0, c1->in[0])) < 0)
			return ox_diag_error(pc->diag, r, "out of memory");
		ox_pass_kill(c1);
		n++;
	}
	return n;
}
