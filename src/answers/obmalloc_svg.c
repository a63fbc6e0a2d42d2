/* obmalloc_svg.c - py-arenas --map: one picture of every arena, one cell
 * per pool, shaded by how full the pool is (docs/py-arenas.md). */
#include <stdlib.h>

#include "heap/obmalloc.h"
#include "util/strbuf.h"

#define CELL 8          /* a pool's square, in pixels */
#define PITCH 9         /* cell plus gap */
#define LABEL 150       /* the arena address column */
#define ROWS 128        /* arenas per column of the picture */
#define TOP 58          /* title and legend */
#define GAP 24          /* between columns */

/* Light blue (one block in use) to dark blue (every block in use). */
static void shade(struct strbuf *sb, double full)
{
	static const int lo[3] = { 0xde, 0xeb, 0xf7 }, hi[3] = { 0x08, 0x30, 0x6b };
	int c[3];
	for (int i = 0; i < 3; i++)
		c[i] = lo[i] + (int)((hi[i] - lo[i]) * full + (full >= 0 ? 0.5 : -0.5));
	strbuf_printf(sb, "#%02x%02x%02x", c[0], c[1], c[2]);
}

static struct pyx_error *arenas_map_svg_answer(struct pyx_program *prog, char **ret)
{
	struct obmalloc *om;
	PYX_TRY(obmalloc_open(prog, OBMALLOC_POOLS, &om));
	uint32_t max_pools = om->arena_size / om->pool_size;
	size_t n = om->narenas;
	size_t cols = n ? (n + ROWS - 1) / ROWS : 1;
	size_t rows = n < ROWS ? (n ? n : 1) : ROWS;
	unsigned col_width = LABEL + max_pools * PITCH + GAP;
	unsigned width = (unsigned)(cols * col_width);
	unsigned height = (unsigned)(TOP + rows * PITCH + 10);
	if (width < 620)
		width = 620;
	uint64_t used = 0, free_pools = 0, untouched = 0;
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
		      "viewBox=\"0 0 %u %u\" font-family=\"monospace\" font-size=\"9\">\n",
		      width, height, width, height);
	strbuf_puts(&sb, "<style>.f{fill:#ffffff;stroke:#bdbdbd;stroke-width:0.5}"
		    ".u{fill:#eeeeee}</style>\n");
	strbuf_printf(&sb, "<text x=\"4\" y=\"14\" font-size=\"12\">pymalloc: %zu arenas of "
		      "%u KiB, %u pools of %u KiB each (%s)</text>\n", n,
		      om->arena_size / 1024, max_pools, om->pool_size / 1024,
		      om->allocator_name);
	/* The legend. */
	strbuf_puts(&sb, "<g id=\"legend\">");
	for (int i = 0; i <= 10; i++) {
		strbuf_printf(&sb, "<rect x=\"%d\" y=\"24\" width=\"%d\" height=\"%d\" fill=\"",
			      4 + i * PITCH, CELL, CELL);
		shade(&sb, i / 10.0);
		strbuf_puts(&sb, "\"/>");
	}
	strbuf_printf(&sb, "<text x=\"%d\" y=\"31\">blocks in use: 1 .. all of the pool's</text>"
		      "<rect class=\"f\" x=\"4\" y=\"38\" width=\"%d\" height=\"%d\"/>"
		      "<text x=\"16\" y=\"45\">free pool</text>"
		      "<rect class=\"u\" x=\"84\" y=\"38\" width=\"%d\" height=\"%d\"/>"
		      "<text x=\"96\" y=\"45\">never used (not yet carved from the arena)</text></g>\n",
		      4 + 11 * PITCH + 4, CELL, CELL, CELL, CELL);
	for (size_t i = 0; i < n; i++) {
		const struct obmalloc_arena *a = &om->arenas[i];
		unsigned x0 = (unsigned)((i / ROWS) * col_width);
		unsigned y = (unsigned)(TOP + (i % ROWS) * PITCH);
		strbuf_printf(&sb, "<g class=\"arena\" id=\"arena-%u\"><text x=\"%u\" y=\"%u\">"
			      "%4u 0x%llx</text>", a->slot, x0 + 4, y + CELL - 1, a->slot,
			      (unsigned long long)a->address);
		for (uint32_t j = 0; j < a->ntotalpools; j++) {
			unsigned x = x0 + LABEL + j * PITCH;
			uint64_t pool = a->base + (uint64_t)j * om->pool_size;
			if (j >= a->ncarved) {
				strbuf_printf(&sb, "<rect class=\"p u\" x=\"%u\" y=\"%u\" width=\"%d\" "
					      "height=\"%d\"><title>0x%llx: never used</title></rect>",
					      x, y, CELL, CELL, (unsigned long long)pool);
				untouched++;
				continue;
			}
			const struct obmalloc_pool *p = &om->pools[a->first_pool + j];
			if (!p->count) {
				strbuf_printf(&sb, "<rect class=\"p f\" x=\"%u\" y=\"%u\" width=\"%d\" "
					      "height=\"%d\"><title>0x%llx: free pool</title></rect>",
					      x, y, CELL, CELL, (unsigned long long)pool);
				free_pools++;
				continue;
			}
			uint32_t nb = obmalloc_pool_blocks(om, p->szidx);
			double full = nb > 1 ? (double)(p->count - 1) / (nb - 1) : 1.0;
			strbuf_printf(&sb, "<rect class=\"p\" x=\"%u\" y=\"%u\" width=\"%d\" "
				      "height=\"%d\" fill=\"", x, y, CELL, CELL);
			shade(&sb, full);
			strbuf_printf(&sb, "\"><title>0x%llx: class %u (%u bytes), %u of %u "
				      "blocks in use</title></rect>", (unsigned long long)pool,
				      p->szidx, obmalloc_block_size(om, p->szidx), p->count, nb);
			used++;
		}
		strbuf_puts(&sb, "</g>\n");
	}
	strbuf_printf(&sb, "<!-- pools: %llu used, %llu free, %llu never used -->\n</svg>\n",
		      (unsigned long long)used, (unsigned long long)free_pools,
		      (unsigned long long)untouched);
	obmalloc_close(om);
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_arenas_map_svg(struct pyx_program *prog, char **ret)
{
	return program_explain(prog, arenas_map_svg_answer(prog, ret));
}
