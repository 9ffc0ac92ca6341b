/* table.h: aligned text tables, the one way every command prints columns.
 *
 * Fill a table row by row and cell by cell, then print it: each column as wide as
 * its widest cell (counted in characters, not bytes), two spaces between columns,
 * right-aligned columns for numbers, no trailing blanks. A header row prints bold
 * and a marked row in colour, both only when ox_term_color() allows it on the
 * stream; the text is the same with and without colour. A row may have fewer cells
 * than others. The table owns copies of every cell (in its arena); a failed
 * allocation is remembered and reported by ox_table_print(), so callers fill
 * without checking each call.
 */
#ifndef OX_TABLE_H
#define OX_TABLE_H

#include <stdbool.h>
#include <stdio.h>

#include "arena.h"
#include "term.h"

#define OX_TABLE_MAX_COLS 12

struct ox_table_row {
	const char *cell[OX_TABLE_MAX_COLS];
	int n;
	bool header;
	bool free;               /* a line of its own: cell[0], outside the columns */
	enum ox_style style;     /* OX_STYLE_RESET for a plain row */
};

struct ox_table {
	struct ox_arena arena;
	struct ox_table_row *rows;
	size_t n_rows, cap_rows;
	const char *indent;      /* printed before every row */
	bool right[OX_TABLE_MAX_COLS];
	bool oom;
};

/* An empty table whose rows start with indent (borrowed; "" for none). */
void ox_table_init(struct ox_table *t, const char *indent);
void ox_table_release(struct ox_table *t);

/* Right-align column col (counts, sizes). */
void ox_table_right(struct ox_table *t, int col);

/* Start a row: a header row (bold) when header, else a row in style
 * (OX_STYLE_RESET: plain). */
void ox_table_row(struct ox_table *t, bool header, enum ox_style style);

/* Add a cell to the current row; a copy is kept. NULL prints as "". */
void ox_table_cell(struct ox_table *t, const char *s);
void ox_table_cellf(struct ox_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A line of free text between rows (details under a row), printed after the
 * indent and taking no part in the column widths. */
void ox_table_line(struct ox_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A header row of the given cells, NULL-terminated. */
void ox_table_header(struct ox_table *t, ...) __attribute__((sentinel));

/* Print every row to f. 0, OX_ENOMEM when a fill failed, or OX_EIO. */
int ox_table_print(const struct ox_table *t, FILE *f);

#endif
