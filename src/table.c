/* table.c: aligned text tables. See table.h. */
#include "config.h"

#include "table.h"

#include <stdarg.h>
#include <string.h>

#include "diag.h"

void
ox_table_init(struct ox_table *t, const char *indent)
{
	memset(t, 0, sizeof *t);
	ox_arena_init(&t->arena);
	t->indent = indent ? indent : "";
}

void
ox_table_release(struct ox_table *t)
{
	ox_arena_release(&t->arena);
	memset(t, 0, sizeof *t);
}

void
ox_table_right(struct ox_table *t, int col)
{
	if (col >= 0 && col < OX_TABLE_MAX_COLS)
		t->right[col] = true;
}

void
ox_table_row(struct ox_table *t, bool header, enum ox_style style)
{
	struct ox_table_row *r = ox_arena_push(&t->arena, &t->rows, &t->n_rows, &t->cap_rows,
					       sizeof *t->rows);

	if (!r) {
		t->oom = true;
		return;
	}
	r->header = header;
	r->style = style;
}

void
ox_table_cell(struct ox_table *t, const char *s)
{
	struct ox_table_row *r;
	char *copy;

	if (!t->n_rows || t->rows[t->n_rows - 1].n == OX_TABLE_MAX_COLS) {
		/* A caller bug, not a user's problem: the cell is dropped. */
		t->oom = t->oom || !t->n_rows;
		return;
	}
	r = &t->rows[t->n_rows - 1];
	if (!(copy = ox_arena_strdup(&t->arena, s ? s : ""))) {
		t->oom = true;
		return;
	}
	r->cell[r->n++] = copy;
}

void
ox_table_cellf(struct ox_table *t, const char *fmt, ...)
{
	char buf[256], *s = buf;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->oom = true;
		return;
	}
	if ((size_t)n >= sizeof buf) {
		if (!(s = ox_arena_alloc(&t->arena, (size_t)n + 1))) {
			t->oom = true;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(s, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	ox_table_cell(t, s);
}

void
ox_table_line(struct ox_table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ox_table_row(t, false, OX_STYLE_RESET);
	if (n < 0 || t->oom || !(s = ox_arena_alloc(&t->arena, (size_t)n + 1))) {
		t->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->rows[t->n_rows - 1].cell[0] = s;
	t->rows[t->n_rows - 1].n = 1;
	t->rows[t->n_rows - 1].free = true;
}

void
ox_table_header(struct ox_table *t, ...)
{
	va_list ap;
	const char *s;

	ox_table_row(t, true, OX_STYLE_RESET);
	va_start(ap, t);
	while ((s = va_arg(ap, const char *)))
		ox_table_cell(t, s);
	va_end(ap);
}

/* Characters, not bytes: UTF-8 continuation bytes take no column. */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

int
ox_table_print(const struct ox_table *t, FILE *f)
{
	size_t w[OX_TABLE_MAX_COLS] = { 0 };

	if (t->oom)
		return OX_ENOMEM;
	for (size_t i = 0; i < t->n_rows; i++)
		for (int c = 0; !t->rows[i].free && c < t->rows[i].n; c++)
			if (width(t->rows[i].cell[c]) > w[c])
				w[c] = width(t->rows[i].cell[c]);
	for (size_t i = 0; i < t->n_rows; i++) {
		const struct ox_table_row *r = &t->rows[i];
		const char *on = r->header ? ox_term_style(f, OX_STYLE_BOLD)
			       : r->style != OX_STYLE_RESET ? ox_term_style(f, r->style) : "";

		if (r->free) {
			fprintf(f, "%s%s\n", t->indent, r->cell[0]);
			continue;
		}
		fprintf(f, "%s%s", t->indent, on);
		for (int c = 0; c < r->n; c++) {
			int pad = (int)(w[c] - width(r->cell[c]));
			bool last = c == r->n - 1;

			if (c)
				fputs("  ", f);
			if (t->right[c])
				fprintf(f, "%*s%s", pad, "", r->cell[c]);
			else
				fprintf(f, "%s%*s", r->cell[c], last ? 0 : pad, "");
		}
		fprintf(f, "%s\n", *on ? ox_term_style(f, OX_STYLE_RESET) : "");
	}
	return ferror(f) ? OX_EIO : 0;
}
