/* exec.c: the executor core. See exec.h.
 *
 * A frame holds the tensor of every value of one running graph, indexed by value id;
 * a subgraph's frame points at its parent's, which is how bodies of If/Loop/Scan read
 * outer-scope values. Before a graph runs, each value gets the position of the last
 * node that reads it (a read from inside a subgraph counts at the node owning that
 * subgraph), so the buffer is freed as soon as that node is done.
 */
#include "config.h"

#include "exec.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "onnx_io.h"
#include "ops/fast.h"
#include "ops/kernel.h"

/* Elements start on a cache line, so SIMD loads in kernels and OpenBLAS are aligned. */
#define XALIGN 64

/* --- the block pool ---
 *
 * Every heap tensor is one block: an XALIGN-byte prefix holding the block's capacity
 * (and the free-list link while pooled), then the tensor. A run frees and remakes the
 * same activation sizes at every node and in every run; handing freed blocks back
 * instead of returning them to malloc saves the page faults of fresh mappings (large
 * blocks are mmap'ed and unmapped each time otherwise) and makes steady-state runs
 * allocation-free. The pool only keeps what was once live, so peak memory stays the
 * largest working set plus what best fit leaves unused.
 *
 * What best fit leaves unused is a lot: on ResNet-50 the pool held 2.5 times the live
 * blocks, as sizes change from stage to stage. A one-shot run (no ox_exec_cache) has
 * no later run to keep blocks for, so there a request that finds no block first gives
 * back pooled blocks, largest first, until the pool holds less than the request: the
 * run's peak is then about its live set plus one request. Doing that in every cached
 * run would make each one allocate afresh (replaying ResNet-18's requests: 36 MB of
 * new blocks per run), so only the first cached run does, and later ones take their
 * blocks from a plan (below). Large blocks are mapped by the pool itself, so that
 * giving one back returns it to the system whatever glibc's dynamic mmap threshold
 * decided (it keeps freed chunks in the heap once a mapped one was freed). */
#define POOL_MIN ((size_t)16 << 10)      /* smaller blocks go straight to malloc */
#define POOL_MAX_BYTES ((size_t)1 << 30) /* beyond this, freed blocks are released */
#define BLK_MMAP_MIN ((size_t)256 << 10) /* blocks this large are mmap'ed */

struct blk {
	size_t cap;             /* bytes after the prefix */
	struct blk *next;       /* while in the pool */
	struct plan *plan;      /* a slot of this plan (see below), or NULL */
	unsigned long rec;      /* the recording that noted it, or 0 */
	size_t slot;            /* its request number in that plan or recording */
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
/* Mapped blocks (pool_head[1]) and malloc'ed ones (pool_head[0]) are listed apart:
 * LeakSanitizer does not look inside mappings, so a malloc'ed block linked from a
 * mapped one only would look leaked. */
static struct blk *pool_head[2];
static size_t pool_bytes;
/* This thread is in a one-shot run: pooled blocks are given back on a miss. */
static _Thread_local bool pool_lean;

/* --memory-limit: every block the executor holds (live or pooled) counts; a block
 * that would take the total past the limit first empties the pool, then fails, and
 * the kernel's out-of-memory error says which limit it hit. */
static atomic_size_t mem_limit;   /* 0 until first use: then the default */
static atomic_size_t mem_held;
static atomic_bool mem_hit;

size_t
ox_exec_default_memory_limit(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	size_t cap = (size_t)16 << 30, ram;

	if (pages <= 0 || page <= 0 || (uint64_t)pages > SIZE_MAX / (uint64_t)page)
		return cap;
	ram = (size_t)pages * (size_t)page / 4 * 3;
	return ram < cap ? ram : cap;
}

void
ox_exec_set_memory_limit(size_t bytes)
{
	atomic_store(&mem_limit, bytes ? bytes : ox_exec_default_memory_limit());
}

size_t
ox_exec_memory_limit(void)
{
	size_t l = atomic_load(&mem_limit);

	if (!l) {
		l = ox_exec_default_memory_limit();
		atomic_store(&mem_limit, l);
	}
	return l;
}

bool
ox_exec_memory_limit_hit(void)
{
	return atomic_load(&mem_hit);
}

/* The error for a failed allocation: which limit it hit. */
static int
nomem(struct ox_diag *d)
{
	if (ox_exec_memory_limit_hit())
		return ox_diag_error(d, OX_ENOMEM, "over the memory limit of %zu bytes (--memory-limit)",
				     ox_exec_memory_limit());
	return ox_diag_error(d, OX_ENOMEM, "out of memory");
}

static size_t
blk_map_len(size_t cap)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (XALIGN + cap + page - 1) / page * page;
}

/* Return a block that is neither live nor pooled to the system. */
static void
blk_release(struct blk *b)
{
	atomic_fetch_sub(&mem_held, b->cap);
	if (b->cap >= BLK_MMAP_MIN)
		munmap(b, blk_map_len(b->cap));
	else
		free(b);
}

static void
pool_drain(void)
{
	struct blk *b[2], *next;

	pthread_mutex_lock(&pool_lock);
	b[0] = pool_head[0];
	b[1] = pool_head[1];
	pool_head[0] = pool_head[1] = NULL;
	pool_bytes = 0;
	pthread_mutex_unlock(&pool_lock);
	for (int i = 0; i < 2; i++) {
		for (; b[i]; b[i] = next) {
			next = b[i]->next;
			blk_release(b[i]);
		}
	}
}

/* Take the largest pooled blocks out until the pool holds less than size bytes;
 * returns them as a list. Called with pool_lock held. */
static struct blk *
pool_trim(size_t size)
{
	struct blk *out = NULL;

	while ((pool_head[0] || pool_head[1]) && pool_bytes >= size) {
		struct blk **big = pool_head[1] ? &pool_head[1] : &pool_head[0], *b;

		for (int i = 0; i < 2; i++)
			for (struct blk **pp = &pool_head[i]; *pp; pp = &(*pp)->next)
				if ((*pp)->cap > (*big)->cap)
					big = pp;
		b = *big;
		*big = b->next;
		pool_bytes -= b->cap;
		b->next = out;
		out = b;
	}
	return out;
}

/* Reserve size bytes against the limit; false when they do not fit. */
static bool
mem_reserve(size_t size)
{
	size_t limit = ox_exec_memory_limit();

	for (int tries = 0; tries < 2; tries++) {
		size_t held = atomic_load(&mem_held);

		while (size <= limit && held <= limit - size)
			if (atomic_compare_exchange_weak(&mem_held, &held, held + size))
				return true;
		if (tries == 0)
			pool_drain();
	}
	atomic_store(&mem_hit, true);
	return false;
}

/* --- the plan of a cached model's runs ---
 *
 * Runs of one model with one cache ask for the same blocks in the same order. The
 * first cached run records, for each request of pooled size made on its thread, the
 * size and when the block was freed. Every block freed within that run then gets an
 * offset in one mapping, placed so that blocks live at the same time never overlap
 * (largest first, in the lowest gap), and the pool's blocks are given back. A later
 * run takes its n-th request from the n-th slot when the size is the same and no slot
 * live now overlaps it; anything else (a request the first run did not make, control
 * flow that changed the order) falls back to the pool, so a plan can cost memory but
 * never correctness. On ResNet-50 the mapping is about the largest live set, where
 * the pool held 2.5 times it, and steady-state runs stay allocation-free. */

struct plan {
	size_t n;               /* requests recorded */
	size_t *size, *off;     /* by request number; off SIZE_MAX: not planned */
	char *base;             /* one mapping of len bytes */
	size_t len;
	size_t *live;           /* request numbers of the slots in use */
	size_t n_live;
	bool dead;              /* its cache is freed: unmap once the last slot is */
};

struct rec {
	unsigned long id;       /* never 0 nor reused, unlike the address */
	size_t n, cap;
	size_t *size;
	long *t0, *t1;          /* when each block was taken and freed (-1: not) */
	long clock;
};

static _Thread_local struct rec *cur_rec;
static _Thread_local struct plan *cur_plan;
static _Thread_local size_t cur_seq;
static atomic_ulong rec_ids;

static bool
slots_overlap(const struct plan *p, size_t a, size_t b)
{
	return p->off[a] < p->off[b] + XALIGN + p->size[b] && p->off[b] < p->off[a] + XALIGN + p->size[a];
}

/* The slot for the next request of cur_plan, or NULL. */
static struct blk *
plan_take(struct plan *p, size_t size)
{
	size_t k = cur_seq++;
	struct blk *b;

	if (k >= p->n || p->off[k] == SIZE_MAX || p->size[k] != size)
		return NULL;
	pthread_mutex_lock(&pool_lock);
	for (size_t i = 0; i < p->n_live; i++) {
		if (slots_overlap(p, k, p->live[i])) {
			pthread_mutex_unlock(&pool_lock);
			return NULL;
		}
	}
	p->live[p->n_live++] = k;
	pthread_mutex_unlock(&pool_lock);
	b = (struct blk *)(p->base + p->off[k]);
	b->cap = size;
	b->next = NULL;
	b->plan = p;
	b->rec = 0;
	b->slot = k;
	return b;
}

static void
plan_free(struct plan *p)
{
	if (!p)
		return;
	if (p->base) {
		munmap(p->base, p->len);
		atomic_fetch_sub(&mem_held, p->len);
	}
	free(p->size);
	free(p->off);
	free(p->live);
	free(p);
}

/* A slot's block is freed (on any thread). */
static void
plan_give(struct blk *b)
{
	struct plan *p = b->plan;
	bool gone;

	pthread_mutex_lock(&pool_lock);
	for (size_t i = 0; i < p->n_live; i++) {
		if (p->live[i] == b->slot) {
			p->live[i] = p->live[--p->n_live];
			break;
		}
	}
	gone = p->dead && p->n_live == 0;
	pthread_mutex_unlock(&pool_lock);
	if (gone)
		plan_free(p);
}

/* The cache that owns p is freed; blocks still out keep the mapping until freed. */
static void
plan_drop(struct plan *p)
{
	bool gone;

	if (!p)
		return;
	pthread_mutex_lock(&pool_lock);
	p->dead = true;
	gone = p->n_live == 0;
	pthread_mutex_unlock(&pool_lock);
	if (gone)
		plan_free(p);
}

static struct rec *
rec_new(void)
{
	struct rec *r = calloc(1, sizeof *r);

	if (r)
		r->id = atomic_fetch_add(&rec_ids, 1) + 1;
	return r;
}

static void
rec_free(struct rec *r)
{
	if (!r)
		return;
	free(r->size);
	free(r->t0);
	free(r->t1);
	free(r);
}

/* Note a request of the recording run; a full recording just stops noting (its
 * plan then covers the requests up to there). */
static void
rec_note(struct rec *r, struct blk *b, size_t size)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 256;
		size_t *sz = realloc(r->size, cap * sizeof *sz);
		long *t0, *t1;

		if (sz)
			r->size = sz;
		t0 = sz ? realloc(r->t0, cap * sizeof *t0) : NULL;
		if (t0)
			r->t0 = t0;
		t1 = t0 ? realloc(r->t1, cap * sizeof *t1) : NULL;
		if (!t1)
			return;
		r->t1 = t1;
		r->cap = cap;
	}
	r->size[r->n] = size;
	r->t0[r->n] = r->clock++;
	r->t1[r->n] = -1;
	b->rec = r->id;
	b->slot = r->n++;
}

static const size_t *sort_sizes;

static int
by_size_desc(const void *a, const void *b)
{
	size_t x = sort_sizes[*(const size_t *)a], y = sort_sizes[*(const size_t *)b];

	if (x != y)
		return x < y ? 1 : -1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int
by_off(const void *a, const void *b)
{
	const size_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Placing a block looks at every block placed before it: beyond this many requests
 * (a graph of tens of thousands of nodes) the time goes quadratic, and the runs use
 * the pool instead. */
#define PLAN_MAX_REQUESTS 20000

/* Offsets for the blocks the recorded run freed, or NULL (memory, limit, size). */
static struct plan *
plan_build(const struct rec *r)
{
	struct plan *p;
	size_t *order, *busy, n_order = 0, len = 0, page = (size_t)sysconf(_SC_PAGESIZE);
	static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

	if (r->n > PLAN_MAX_REQUESTS)
		return NULL;
	p = calloc(1, sizeof *p);
	order = malloc((r->n + 1) * sizeof *order);
	busy = malloc((2 * r->n + 2) * sizeof *busy);
	if (!p || !order || !busy || !(p->size = malloc((r->n + 1) * sizeof *p->size)) ||
	    !(p->off = malloc((r->n + 1) * sizeof *p->off)) || !(p->live = malloc((r->n + 1) * sizeof *p->live)))
		goto fail;
	p->n = r->n;
	for (size_t i = 0; i < r->n; i++) {
		p->size[i] = r->size[i];
		p->off[i] = SIZE_MAX;
		if (r->t1[i] >= 0 && r->size[i] <= SIZE_MAX / 4)
			order[n_order++] = i;
	}
	pthread_mutex_lock(&sort_lock);
	sort_sizes = r->size;
	qsort(order, n_order, sizeof *order, by_size_desc);
	pthread_mutex_unlock(&sort_lock);
	for (size_t a = 0; a < n_order; a++) {
		size_t i = order[a], need = (XALIGN + r->size[i] + XALIGN - 1) / XALIGN * XALIGN, nb = 0, off = 0;

		/* Blocks placed already that live at the same time, by offset. */
		for (size_t c = 0; c < a; c++) {
			size_t j = order[c];

			if (r->t0[i] < r->t1[j] && r->t0[j] < r->t1[i]) {
				busy[2 * nb] = p->off[j];
				busy[2 * nb + 1] = p->off[j] + (XALIGN + r->size[j] + XALIGN - 1) / XALIGN * XALIGN;
				nb++;
			}
		}
		qsort(busy, nb, 2 * sizeof *busy, by_off);
		for (size_t c = 0; c < nb && off + need > busy[2 * c]; c++)
			if (busy[2 * c + 1] > off)
				off = busy[2 * c + 1];
		p->off[i] = off;
		if (off + need > len)
			len = off + need;
	}
	free(order);
	free(busy);
	order = busy = NULL;
	p->len = (len + page - 1) / page * page;
	if (!p->len || !mem_reserve(p->len))
		goto fail;
	/* Populated now, in the recorded (warm-up) run: the next run would fault every
	 * page of it in anyway, and it is the first one timed. */
	p->base = mmap(NULL, p->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p->base == MAP_FAILED) {
		p->base = NULL;
		atomic_fetch_sub(&mem_held, p->len);
		goto fail;
	}
	return p;
fail:
	free(order);
	free(busy);
	plan_free(p);
	return NULL;
}

/* A pooled block of at least size bytes, or NULL. */
static struct blk *
pool_take(size_t size)
{
	struct blk *b = NULL, **best = NULL, *gone;

	pthread_mutex_lock(&pool_lock);
	/* Best fit, but a block more than twice the request stays for a bigger one. */
	for (int i = 0; i < 2; i++)
		for (struct blk **pp = &pool_head[i]; *pp; pp = &(*pp)->next)
			if ((*pp)->cap >= size && (*pp)->cap / 2 <= size && (!best || (*pp)->cap < (*best)->cap))
				best = pp;
	if (best) {
		b = *best;
		*best = b->next;
		pool_bytes -= b->cap;
	}
	gone = !b && pool_lean ? pool_trim(size) : NULL;
	pthread_mutex_unlock(&pool_lock);
	while (gone) {
		struct blk *g = gone;

		gone = g->next;
		blk_release(g);
	}
	return b;
}

/* A block of at least size bytes after the prefix; its start is XALIGN-aligned.
 * pooled: it may be a pooled block or a slot of the plan (else fresh memory, for
 * blocks that stay for good: taking a pooled one would make the next run's
 * activations miss). */
static void *
blk_alloc(size_t size, bool pooled)
{
	bool counted = pooled && size >= POOL_MIN;
	struct blk *b = NULL;
	char *p;

	if (counted && cur_plan && (b = plan_take(cur_plan, size)))
		return (char *)b + XALIGN;
	if (counted)
		b = pool_take(size);
	if (b)
		goto got;
	if (size > SIZE_MAX - XALIGN - BLK_MMAP_MIN || !mem_reserve(size))
		return NULL;
	if (size >= BLK_MMAP_MIN) {
		p = mmap(NULL, blk_map_len(size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			p = NULL;
	} else if (posix_memalign((void **)&p, XALIGN, XALIGN + size) != 0) {
		p = NULL;
	}
	if (!p) {
		atomic_fetch_sub(&mem_held, size);
		return NULL;
	}
	b = (struct blk *)p;
	b->cap = size;
got:
	b->plan = NULL;
	b->rec = 0;
	if (counted && cur_rec)
		rec_note(cur_rec, b, size);
	return (char *)b + XALIGN;
}

static void
blk_free(void *q)
{
	struct blk *b;

	if (!q)
		return;
	b = (struct blk *)((char *)q - XALIGN);
	if (b->plan) {
		plan_give(b);
		return;
	}
	if (b->rec && cur_rec && b->rec == cur_rec->id && b->slot < cur_rec->n)
		cur_rec->t1[b->slot] = cur_rec->clock++;
	if (b->cap >= POOL_MIN) {
		pthread_mutex_lock(&pool_lock);
		if (pool_bytes + b->cap <= POOL_MAX_BYTES) {
			b->next = pool_head[b->cap >= BLK_MMAP_MIN];
			pool_head[b->cap >= BLK_MMAP_MIN] = b;
			pool_bytes += b->cap;
			b = NULL;
		}
		pthread_mutex_unlock(&pool_lock);
	}
	if (b)
		blk_release(b);
}

static size_t
xheader(int ndim)
{
	size_t n = sizeof(struct ox_tensor) + (size_t)(ndim + 1) * sizeof(int64_t);

	return (n + XALIGN - 1) / XALIGN * XALIGN;
}

/* zero: clear the elements too (the header is always cleared); pooled: see
 * blk_alloc. */
static struct ox_tensor *
xtensor_new(int dtype, int ndim, const int64_t *dims, bool zero, bool pooled)
{
	int64_t n = ox_shape_numel(ndim, dims);
	size_t head, body;
	struct ox_tensor *t;
	char *p;

	if (n < 0 || ndim < 0 || ndim > OX_MAX_RANK)
		return NULL;
	head = xheader(ndim);
	if (dtype == OX_STRING) {
		if ((uint64_t)n > (SIZE_MAX - head) / sizeof(struct ox_bytes))
			return NULL;
		body = (size_t)n * sizeof(struct ox_bytes);
	} else if (!ox_dtype_nbytes(dtype, n, &body) || body > SIZE_MAX - head) {
		return NULL;
	}
	if (body > SIZE_MAX - head - 1 || !(p = blk_alloc(head + body + 1, pooled)))
		return NULL;
	/* Strings always start empty: their elements are pointers the free walks. */
	memset(p, 0, zero || dtype == OX_STRING ? head + body : head);
	t = (struct ox_tensor *)p;
	t->dtype = dtype;
	t->has_dtype = true;
	t->ndim = ndim;
	t->dims = (int64_t *)(p + sizeof *t);
	if (ndim)
		memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
	t->nelem = n;
	if (dtype == OX_STRING) {
		t->strings = (struct ox_bytes *)(p + head);
		t->store = OX_STORE_FIELD;
	} else {
		t->data = p + head;
		t->nbytes = body;
		t->store = OX_STORE_RAW;
	}
	return t;
}

struct ox_tensor *
ox_xtensor_new(int dtype, int ndim, const int64_t *dims)
{
	return xtensor_new(dtype, ndim, dims, true, true);
}

struct ox_tensor *
ox_xtensor_new_raw(int dtype, int ndim, const int64_t *dims)
{
	return xtensor_new(dtype, ndim, dims, false, true);
}

int
ox_xtensor_set_string(struct ox_tensor *t, int64_t i, const void *data, size_t len)
{
	uint8_t *copy = malloc(len + 1);

	if (!copy)
		return OX_ENOMEM;
	if (len)
		memcpy(copy, data, len);
	copy[len] = 0;
	free((void *)t->strings[i].data);
	t->strings[i].data = copy;
	t->strings[i].len = len;
	return 0;
}

struct ox_tensor *
ox_xseq_new(int elem_dtype, int64_t cap)
{
	struct ox_tensor *t;
	size_t head = xheader(0);

	if (cap < 0 || (uint64_t)cap > (SIZE_MAX - head) / sizeof(struct ox_tensor *) - 1)
		return NULL;
	t = blk_alloc(head + ((size_t)cap + 1) * sizeof(struct ox_tensor *), true);
	if (!t)
		return NULL;
	memset(t, 0, head + ((size_t)cap + 1) * sizeof(struct ox_tensor *));
	t->dtype = OX_XSEQ;
	t->has_dtype = true;
	t->dims = (int64_t *)((char *)t + sizeof *t);
	t->location = elem_dtype;
	t->data = (char *)t + head;
	return t;
}

struct ox_tensor *
ox_xtensor_copy(const struct ox_tensor *src)
{
	struct ox_tensor *t;

	if (src->dtype == OX_XSEQ) {
		if (!(t = ox_xseq_new(src->location, src->nelem)))
			return NULL;
		for (int64_t i = 0; i < src->nelem; i++) {
			if (!(((struct ox_tensor **)t->data)[i] = ox_xtensor_copy(ox_xseq_at(src, i)))) {
				ox_xtensor_free(t);
				return NULL;
			}
			t->nelem++;
		}
		return t;
	}
	t = ox_xtensor_new(src->dtype, src->ndim, src->dims);
	if (!t)
		return NULL;
	if (src->dtype == OX_STRING) {
		for (int64_t i = 0; i < src->nelem; i++)
			if (ox_xtensor_set_string(t, i, src->strings[i].data, src->strings[i].len) < 0) {
				ox_xtensor_free(t);
				return NULL;
			}
	} else if (t->nbytes) {
		if (!src->data || src->nbytes < t->nbytes) {
			ox_xtensor_free(t);
			return NULL;
		}
		memcpy(t->data, src->data, t->nbytes);
	}
	return t;
}

void
ox_xtensor_free(struct ox_tensor *t)
{
	if (!t)
		return;
	if (t->dtype == OX_XSEQ)
		for (int64_t i = 0; i < t->nelem; i++)
			ox_xtensor_free(ox_xseq_at(t, i));
	if (t->dtype == OX_STRING)
		for (int64_t i = 0; i < t->nelem; i++)
			free((void *)t->strings[i].data);
	blk_free(t);
}

/* --- the worker pool (ops/fast.h) ---
 *
 * A call publishes one job and bumps a generation number; each worker takes its
 * range by index and the caller waits until every range is done. Between calls a
 * worker spins for a while (PAR_SPIN pauses, some tens of microseconds, then
 * PAR_YIELD yields of its core, which on a loaded machine let the thread it waits
 * for run) before it sleeps on a condition variable, and so does the caller waiting
 * for the last range: a network makes hundreds of calls a run, a few microseconds
 * apart, and waking a sleeping thread costs more than many of them take (a futex
 * round trip, worse in a virtual machine). One job at a time: a call made while another runs (from a worker
 * or from a second thread of the embedding program) runs serially instead. */
#define PAR_MAX 64
#define PAR_SPIN 2000
#define PAR_YIELD 200

static int par_nthreads = 1;
static pthread_mutex_t par_call = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t par_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t par_wake = PTHREAD_COND_INITIALIZER, par_done = PTHREAD_COND_INITIALIZER;
static int par_started;                 /* workers running; under par_lock */
/* Bumped by each call after the job is set: a count above 8 bits, the number of
 * ranges in the low 8, so that a worker left out of a call never reads the fields
 * of a later one (a worker that takes part holds the caller until it is done). */
static atomic_ulong par_gen;
static atomic_int par_pending;          /* workers' ranges not done yet */
static atomic_int par_sleeping;         /* workers waiting on par_wake */
static atomic_bool par_waiting;         /* the caller waits on par_done */
/* The job: written before par_gen is bumped, read after it is seen. */
static ox_par_fn *par_job;
static void *par_ctx;
static int64_t par_n;

static void
par_range(int part, int parts, int64_t n, int64_t *lo, int64_t *hi)
{
	*lo = n * part / parts;
	*hi = n * (part + 1) / parts;
}

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Step i of a wait: a pause, then (on a busy machine, where the thread waited for
 * may not be running) a yield to whoever else wants the core. */
static inline void
spin_step(int i)
{
	if (i < PAR_SPIN)
		cpu_relax();
	else
		sched_yield();
}

/* The next generation after seen: spin, then sleep. */
static unsigned long
par_next(unsigned long seen)
{
	unsigned long g;

	for (int i = 0; i < PAR_SPIN + PAR_YIELD; i++) {
		if ((g = atomic_load(&par_gen)) != seen)
			return g;
		spin_step(i);
	}
	pthread_mutex_lock(&par_lock);
	atomic_fetch_add(&par_sleeping, 1);
	while ((g = atomic_load(&par_gen)) == seen)
		pthread_cond_wait(&par_wake, &par_lock);
	atomic_fetch_sub(&par_sleeping, 1);
	pthread_mutex_unlock(&par_lock);
	return g;
}

static void *
par_worker(void *arg)
{
	/* arg: the worker's index in the low 8 bits, above them the generation current
	 * when it was made (the call making it bumps the generation after). */
	int me = (int)((uintptr_t)arg & 0xff);
	unsigned long seen = (uintptr_t)arg >> 8;

	for (;;) {
		int parts;

		seen = par_next(seen);
		parts = (int)(seen & 0xff);
		if (me < parts) {
			int64_t lo, hi;

			par_range(me, parts, par_n, &lo, &hi);
			par_job(par_ctx, lo, hi);
			if (atomic_fetch_sub(&par_pending, 1) == 1 && atomic_load(&par_waiting)) {
				pthread_mutex_lock(&par_lock);
				pthread_cond_signal(&par_done);
				pthread_mutex_unlock(&par_lock);
			}
		}
	}
	return NULL;
}

int
ox_par_threads(void)
{
	return par_nthreads;
}

void
ox_par_for(int64_t n, int64_t grain, ox_par_fn *fn, void *ctx)
{
	int parts = par_nthreads;

	if (grain < 1)
		grain = 1;
	if (parts > n / grain)
		parts = (int)(n / grain);
	if (parts <= 1 || pthread_mutex_trylock(&par_call) != 0) {
		if (n > 0)
			fn(ctx, 0, n);
		return;
	}
	pthread_mutex_lock(&par_lock);
	while (par_started < parts - 1) {
		pthread_t t;

		if (pthread_create(&t, NULL, par_worker,
				   (void *)(atomic_load(&par_gen) << 8 | (uintptr_t)(par_started + 1))) != 0)
			break;
		pthread_detach(t);
		par_started++;
	}
	if (parts > par_started + 1)
		parts = par_started + 1;
	pthread_mutex_unlock(&par_lock);
	par_job = fn;
	par_ctx = ctx;
	par_n = n;
	atomic_store(&par_pending, parts - 1);
	atomic_store(&par_gen, ((atomic_load(&par_gen) >> 8) + 1) << 8 | (unsigned long)parts);
	/* A worker that counted itself asleep before the bump waits under par_lock:
	 * taking it here means the broadcast cannot come before its wait. */
	if (atomic_load(&par_sleeping)) {
		pthread_mutex_lock(&par_lock);
		pthread_cond_broadcast(&par_wake);
		pthread_mutex_unlock(&par_lock);
	}
	{
		int64_t lo, hi;

		par_range(0, parts, n, &lo, &hi);
		fn(ctx, lo, hi);
	}
	for (int i = 0; i < PAR_SPIN + PAR_YIELD && atomic_load(&par_pending) > 0; i++)
		spin_step(i);
	if (atomic_load(&par_pending) > 0) {
		pthread_mutex_lock(&par_lock);
		atomic_store(&par_waiting, true);
		while (atomic_load(&par_pending) > 0)
			pthread_cond_wait(&par_done, &par_lock);
		atomic_store(&par_waiting, false);
		pthread_mutex_unlock(&par_lock);
	}
	pthread_mutex_unlock(&par_call);
}

void
ox_exec_set_threads(int n)
{
	/* OpenBLAS stays on the calling thread; ox_sgemm splits the work over ours. */
	if (n > 0) {
		openblas_set_num_threads(1);
		par_nthreads = n > PAR_MAX ? PAR_MAX : n;
	}
}

/* --- the kernel table --- */

static const struct {
	const char *domain, *op;
	ox_kernel_fn *fn;
} kernels[] = {
#define KERNEL(domain, op, fn) { domain, op, fn },
#include "ops/kernels.def"
#undef KERNEL
};

ox_kernel_fn *
ox_kernel_find(const char *domain, const char *op_type)
{
	bool onnx = ox_domain_is_onnx(domain);

	for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++) {
		if (strcmp(kernels[i].op, op_type) != 0)
			continue;
		if (onnx ? ox_domain_is_onnx(kernels[i].domain) : strcmp(kernels[i].domain, domain) == 0)
			return kernels[i].fn;
	}
	return NULL;
}

/* --- the cache of packed weights ---
 *
 * It also keeps the aligned copies of initializers whose elements lie misaligned in
 * a read-only file mapping (OX_LOAD_READ_ONLY): made once, at the first run that
 * reads them, so that every run sees the same tensor (packed weights are keyed by its
 * data) and the file's pages under them can go. */

struct cache_entry {
	const struct ox_node *node;
	const void *key;
	void *p;
};

struct cache_copy {
	const struct ox_tensor *init;
	struct ox_tensor *copy;
};

struct ox_exec_cache {
	struct cache_entry *e;
	size_t n, cap;
	size_t n_dropped;           /* entries e[0..n_dropped) had their weight's pages dropped */
	struct cache_copy *copies;
	size_t n_copies, cap_copies;
	struct plan *plan;          /* where the blocks of its runs go */
	bool recorded;              /* a run was recorded for the plan */
};

struct ox_exec_cache *
ox_exec_cache_new(void)
{
	return calloc(1, sizeof(struct ox_exec_cache));
}

void
ox_exec_cache_free(struct ox_exec_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i].p);
	for (size_t i = 0; i < c->n_copies; i++)
		ox_xtensor_free(c->copies[i].copy);
	plan_drop(c->plan);
	free(c->e);
	free(c->copies);
	free(c);
}

bool
ox_exec_has_kernel(const char *domain, const char *op, int since_version)
{
	(void)since_version;
	return op && ox_kernel_find(domain ? domain : "", op) != NULL;
}

size_t
ox_exec_kernel_count(void)
{
	return sizeof kernels / sizeof kernels[0];
}

void
ox_exec_kernel_at(size_t i, const char **domain, const char **op)
{
	*domain = kernels[i].domain;
	*op = kernels[i].op;
}

/* --- frames --- */

struct ox_frame {
	struct ox_frame *parent;
	struct ox_graph *g;
	struct ox_model *m;
	struct ox_diag *d;
	struct ox_tensor **vals;    /* by value id */
	bool *owned;                /* vals[i] is a heap tensor of this frame */
	bool *copy;                 /* vals[i] is an aligned copy of value i's initializer */
	const int *last;            /* by value id: the last node reading it, or -1 */
	int depth;
	struct ox_exec_cache *cache; /* the main graph's frame only */
};

void *
ox_kcache_get(struct ox_kctx *k, const void *key)
{
	struct ox_exec_cache *c = k->frame ? k->frame->cache : NULL;

	if (c)
		for (size_t i = 0; i < c->n; i++)
			if (c->e[i].node == k->node && c->e[i].key == key)
				return c->e[i].p;
	return NULL;
}

bool
ox_kcache_on(const struct ox_kctx *k)
{
	return k->frame && k->frame->cache;
}

bool
ox_kcache_put(struct ox_kctx *k, const void *key, void *p)
{
	struct ox_exec_cache *c = k->frame ? k->frame->cache : NULL;

	if (!c)
		return false;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct cache_entry *e = realloc(c->e, cap * sizeof *e);

		if (!e)
			return false;
		c->e = e;
		c->cap = cap;
	}
	c->e[c->n].node = k->node;
	c->e[c->n].key = key;
	c->e[c->n].p = p;
	c->n++;
	return true;
}

static const struct ox_tensor *init_copy(const struct ox_frame *f, const struct ox_value *v);

bool
ox_kconst(const struct ox_kctx *k, int i)
{
	const struct ox_value *v = i < k->node->n_in ? k->node->in[i] : NULL;

	/* PyTorch exports put Identity nodes on shared weights; pass_on hands the
	 * initializer itself through them. */
	while (v && !v->init && v->producer && v->producer->n_in == 1 && v->producer->in[0] &&
	       !strcmp(v->producer->op_type, "Identity") && ox_domain_is_onnx(v->producer->domain))
		v = v->producer->in[0];
	if (!v || !v->init || i >= k->n_in || !k->in[i])
		return false;
	return k->in[i] == v->init || (k->frame && k->in[i] == init_copy(k->frame, v));
}

/* The tensor bound to v in f or an enclosing frame; initializers are used in place
 * (or through the aligned copy get_input made). */
static const struct ox_tensor *
lookup(const struct ox_frame *f, const struct ox_value *v)
{
	for (; f; f = f->parent) {
		if (f->g != v->graph)
			continue;
		if (f->vals[v->id])
			return f->vals[v->id];
		return v->init;
	}
	return NULL;
}

/* Elements not aligned for their type: only a read-only or in-place load leaves them
 * so (see onnx_io.h), and kernels read elements as typed arrays. */
static bool
misaligned(const struct ox_tensor *t)
{
	int bits = ox_dtype_bits(t->dtype);
	uintptr_t align = bits >= 64 ? 8 : bits >= 8 ? (uintptr_t)bits / 8 : 1;

	return t->dtype != OX_STRING && t->data && ((uintptr_t)t->data & (align - 1)) != 0;
}

/* memcpy, dropping the pages of src behind it when they lie in a read-only mapping
 * of m (slices end on src's page boundaries, so every whole page goes). */
static void
copy_dropping(const struct ox_model *m, void *dst, const void *src, size_t n)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), s = (uintptr_t)src;
	size_t done = 0;

	if (!ox_model_data_readonly(m, src, n)) {
		memcpy(dst, src, n);
		return;
	}
	while (done < n) {
		size_t len = (((s + done + ((size_t)1 << 20)) & ~(page - 1)) - s) - done;

		if (len > n - done)
			len = n - done;
		memcpy((char *)dst + done, (const char *)src + done, len);
		ox_model_drop_pages(m, (const char *)src + done, len);
		done += len;
	}
}

/* The aligned copy of initializer v that its frame or the cache holds, or NULL. */
static const struct ox_tensor *
init_copy(const struct ox_frame *f, const struct ox_value *v)
{
	for (; f; f = f->parent) {
		if (f->g != v->graph)
			continue;
		if (f->copy[v->id])
			return f->vals[v->id];
		for (size_t i = 0; f->cache && i < f->cache->n_copies; i++)
			if (f->cache->copies[i].init == v->init)
				return f->cache->copies[i].copy;
		return NULL;
	}
	return NULL;
}

/* An aligned copy of a misaligned initializer, made for its frame just before a node
 * reads it. A one-shot run frees it after its last reader like an activation; a
 * cached run keeps it in the cache. Either way readers get the copy from then on, so
 * the file's pages under the original go as the copy is made, a slice at a time:
 * else both would be in memory at once (a 31 MB embedding table that one Gather
 * reads, twice). 0 or OX_E*. */
static int
bind_copy(struct ox_frame *f, const struct ox_value *v)
{
	const struct ox_tensor *t = v->init;
	struct ox_tensor *c = (struct ox_tensor *)init_copy(f, v);
	struct ox_exec_cache *cache = f->cache;

	if (!c) {
		if (!(c = xtensor_new(t->dtype, t->ndim, t->dims, false, !cache)))
			return nomem(f->d);
		if (t->nbytes < c->nbytes) {
			ox_xtensor_free(c);
			return ox_diag_error(f->d, OX_EINVAL, "initializer '%s' has too few bytes", v->name);
		}
		copy_dropping(f->m, c->data, t->data, c->nbytes);
		c->name = t->name;
		if (cache) {
			if (cache->n_copies == cache->cap_copies) {
				size_t cap = cache->cap_copies ? 2 * cache->cap_copies : 16;
				struct cache_copy *cc = realloc(cache->copies, cap * sizeof *cc);

				if (!cc) {
					ox_xtensor_free(c);
					return nomem(f->d);
				}
				cache->copies = cc;
				cache->cap_copies = cap;
			}
			cache->copies[cache->n_copies].init = t;
			cache->copies[cache->n_copies++].copy = c;
		}
	}
	f->vals[v->id] = c;
	f->owned[v->id] = !cache;
	f->copy[v->id] = true;
	return 0;
}

/* lookup(), making the aligned copy of a misaligned initializer first. */
static int
get_input(struct ox_frame *f, const struct ox_value *v, const struct ox_tensor **out)
{
	struct ox_frame *fo = f;
	int r;

	while (fo && fo->g != v->graph)
		fo = fo->parent;
	*out = NULL;
	if (!fo)
		return 0;
	if (!fo->vals[v->id] && v->init && misaligned(v->init) && (r = bind_copy(fo, v)) < 0)
		return r;
	*out = lookup(fo, v);
	return 0;
}

/* The node of g that is node itself or holds it in a nested subgraph. */
static struct ox_node *
ancestor_in(const struct ox_graph *g, struct ox_node *node)
{
	while (node && node->graph != g)
		node = node->graph->owner;
	return node;
}

static int
prepare_graph(struct ox_graph *g, struct ox_diag *d)
{
	bool ok = true;

	for (size_t i = 0; i < g->n_nodes; i++)
		if (g->nodes[i]->dead || g->nodes[i]->id != (int)i)
			ok = false;
	if (ok && ox_graph_is_sorted(g))
		return 0;
	ox_graph_compact(g);
	return ox_graph_toposort(g, d);
}

static void
release_frame(struct ox_frame *f)
{
	for (size_t i = 0; i < f->g->n_values; i++)
		if (f->owned[i])
			ox_xtensor_free(f->vals[i]);
	free(f->vals);
	free(f->owned);
	free(f->copy);
}

/* Identity without a copy: PyTorch exports put one on shared weights, and copying
 * them every run cost as much as a layer. A tensor that outlives this frame's run
 * (initializer, caller input, outer frame's value) is shared; a heap tensor of this
 * frame whose last reader is this node changes owner. Anything else is copied by the
 * kernel. 1 when the output is bound, 0 when not, or OX_E*. */
static int
pass_on(struct ox_frame *f, const struct ox_node *node)
{
	struct ox_value *iv, *ov;
	const struct ox_tensor *t;
	int r;

	if (node->n_in != 1 || node->n_out != 1 || !node->in[0] || !node->out[0] ||
	    strcmp(node->op_type, "Identity") != 0 || !ox_domain_is_onnx(node->domain))
		return 0;
	iv = node->in[0];
	ov = node->out[0];
	if (ov->graph != f->g)
		return 0;
	if ((r = get_input(f, iv, &t)) < 0 || !t)
		return r;
	if (iv->graph != f->g || !f->owned[iv->id]) {
		f->vals[ov->id] = (struct ox_tensor *)t;
		f->owned[ov->id] = false;
		return 1;
	}
	if (!f->last || f->last[iv->id] != node->id)
		return 0;
	f->vals[ov->id] = f->vals[iv->id];
	f->owned[ov->id] = true;
	f->vals[iv->id] = NULL;
	f->owned[iv->id] = false;
	f->copy[iv->id] = false;
	return 1;
}

/* An epilogue fused into a Conv, Gemm or MatMul: the node's output goes through an
 * Add (with another tensor) and/or a Relu or Clip that nothing else reads. The group
 * runs at its last node's place, where every input of every member is ready; the
 * kernel then writes the last node's output directly, and when it cannot (dtype,
 * shapes), the members run one by one as written. */
struct fuse {
	struct ox_node *head, *add, *act;
	const struct ox_tensor *other;   /* add's other input, at run time */
	int act_kind;
	float lo, hi;
};

static int
run_node(struct ox_frame *f, struct ox_node *node, struct fuse *fz)
{
	const struct ox_tensor *ins_small[16], **ins = ins_small;
	struct ox_tensor *outs_small[16], **outs = outs_small;
	struct ox_diag *d = f->d;
	struct ox_kctx k;
	ox_kernel_fn *fn;
	int r = 0;

	d->node = node->name;
	d->op = node->op_type;
	if (!fz && (r = pass_on(f, node)) != 0)
		goto out;
	fn = ox_kernel_find(node->domain, node->op_type);
	if (!fn)
		return ox_diag_error(d, OX_EUNSUPPORTED, "no kernel for %s%s%s", node->domain && *node->domain ?
				     node->domain : "", node->domain && *node->domain ? "." : "", node->op_type);
	if (node->n_in > 16 && !(ins = calloc((size_t)node->n_in, sizeof *ins)))
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	if (node->n_out > 16 && !(outs = calloc((size_t)node->n_out, sizeof *outs))) {
		if (ins != ins_small)
			free(ins);
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	}
	memset(outs, 0, sizeof *outs * (size_t)(node->n_out > 16 ? node->n_out : 16));
	for (int i = 0; i < node->n_in; i++) {
		ins[i] = NULL;
		if (!node->in[i])
			continue;
		if ((r = get_input(f, node->in[i], &ins[i])) < 0)
			goto out;
		if (!ins[i]) {
			r = ox_diag_error(d, OX_EINVAL, "input '%s' has no value", node->in[i]->name);
			goto out;
		}
		if (ins[i]->dtype != OX_STRING && ins[i]->nbytes && !ins[i]->data) {
			r = ox_diag_error(d, OX_EINVAL, "input '%s' has no data", node->in[i]->name);
			goto out;
		}
	}
	memset(&k, 0, sizeof k);
	k.node = node;
	k.opset = ox_model_opset(f->m, node->domain);
	k.in = ins;
	k.n_in = node->n_in;
	k.out = outs;
	k.n_out = node->n_out;
	k.d = d;
	k.frame = f;
	if (fz) {
		k.fuse_add = fz->other;
		k.fuse_act = fz->act_kind;
		k.fuse_lo = fz->lo;
		k.fuse_hi = fz->hi;
	}
	r = fn(&k);
	if (r >= 0) {
		for (int i = 0; i < node->n_out; i++) {
			if (node->out[i] && !outs[i]) {
				r = ox_diag_error(d, OX_EUNSUPPORTED, "the kernel made no output %d", i);
				break;
			}
		}
	}
	if (fz && r >= 0 && !k.fused)
		fz = NULL;
	for (int i = 0; i < node->n_out; i++) {
		struct ox_value *ov = fz && i == 0 ? (fz->act ? fz->act : fz->add)->out[0] : node->out[i];

		if (r >= 0 && ov) {
			f->vals[ov->id] = outs[i];
			f->owned[ov->id] = true;
		} else {
			ox_xtensor_free(outs[i]);
		}
	}
out:
	d->node = NULL;
	d->op = NULL;
	if (ins != ins_small)
		free(ins);
	if (outs != outs_small)
		free(outs);
	if (r >= 0 && fz)
		fz->head = NULL;        /* done: the members need not run */
	return r < 0 ? r : 0;
}

static bool
is_op(const struct ox_node *n, const char *op, int n_in_max)
{
	return n && !n->dead && n->n_out == 1 && n->out[0] && n->n_in <= n_in_max &&
	       ox_domain_is_onnx(n->domain) && !strcmp(n->op_type, op);
}

/* The one node of g reading v, or NULL (also when v is a graph output). */
static struct ox_node *
sole_reader(const struct ox_graph *g, const struct ox_value *v)
{
	if (!v || v->n_uses != 1 || ox_value_is_graph_output(v) || v->uses[0].node->graph != g)
		return NULL;
	return v->uses[0].node;
}

/* The fusable group led by node, or false. */
static bool
find_fuse(const struct ox_graph *g, struct ox_node *node, struct fuse *fz)
{
	struct ox_node *nx;

	memset(fz, 0, sizeof *fz);
	if (!is_op(node, "Conv", 3) && !is_op(node, "Gemm", 3) && !is_op(node, "MatMul", 2))
		return false;
	nx = sole_reader(g, node->out[0]);
	if (is_op(nx, "Add", 2) && nx->n_in == 2 && nx->in[0] && nx->in[1]) {
		fz->add = nx;
		nx = sole_reader(g, nx->out[0]);
	}
	if (is_op(nx, "Relu", 1) || is_op(nx, "Clip", 3))
		fz->act = nx;
	if (!fz->add && !fz->act)
		return false;
	fz->head = node;
	return true;
}

/* Bind what the group's epilogue needs at run time; 0 when it cannot be fused this
 * time (a Clip bound that is not a float scalar), 1 when it can, or OX_E*. */
static int
fuse_bind(struct ox_frame *f, struct fuse *fz)
{
	int r;

	fz->other = NULL;
	fz->act_kind = OX_ACT_NONE;
	if (fz->add) {
		struct ox_value *ov = fz->add->in[0] == fz->head->out[0] ? fz->add->in[1] : fz->add->in[0];

		if ((r = get_input(f, ov, &fz->other)) < 0 || !fz->other)
			return r;
	}
	if (fz->act && !strcmp(fz->act->op_type, "Relu")) {
		fz->act_kind = OX_ACT_RELU;
	} else if (fz->act) {
		struct ox_kctx k;

		memset(&k, 0, sizeof k);
		k.node = fz->act;
		fz->lo = -INFINITY;
		fz->hi = INFINITY;
		if (ox_model_opset(f->m, fz->act->domain) < 11) {
			fz->lo = ox_kattr_f(&k, "min", -INFINITY);
			fz->hi = ox_kattr_f(&k, "max", INFINITY);
		}
		for (int i = 1; i < fz->act->n_in; i++) {
			const struct ox_tensor *t;

			if (!fz->act->in[i])
				continue;
			if ((r = get_input(f, fz->act->in[i], &t)) < 0)
				return r;
			if (!t || t->dtype != OX_FLOAT || t->nelem != 1 || !t->data)
				return 0;
			if (i == 1)
				fz->lo = *(const float *)t->data;
			else
				fz->hi = *(const float *)t->data;
		}
		fz->act_kind = OX_ACT_CLIP;
	}
	return 1;
}

/* Run a group at its last member's place: fused when the kernel can, else member by
 * member. */
static int
run_group(struct ox_frame *f, struct fuse *fz)
{
	struct fuse bound = *fz;
	int r;

	if ((r = fuse_bind(f, &bound)) < 0)
		return r;
	if (r) {
		if ((r = run_node(f, bound.head, &bound)) < 0)
			return r;
		if (!bound.head)
			return 0;
	} else if ((r = run_node(f, fz->head, NULL)) < 0) {
		return r;
	}
	if (fz->add && (r = run_node(f, fz->add, NULL)) < 0)
		return r;
	if (fz->act && (r = run_node(f, fz->act, NULL)) < 0)
		return r;
	return 0;
}

/* Run f->g whose inputs are bound already; fill outputs (heap tensors, caller owns). */
static int
run_frame(struct ox_frame *f, struct ox_tensor **outputs)
{
	struct ox_graph *g = f->g;
	size_t nv = g->n_values, nn = g->n_nodes;
	int *last = NULL, *next = NULL, *head = NULL, *at = NULL, *grp = NULL;
	struct fuse *fz = NULL;
	size_t nfz = 0;
	int r = 0;

	for (size_t i = 0; i < g->n_outputs; i++)
		outputs[i] = NULL;

	if (f->depth > OX_MAX_GRAPH_DEPTH)
		return ox_diag_error(f->d, OX_ELIMIT, "subgraphs nested deeper than %d", OX_MAX_GRAPH_DEPTH);
	if ((r = prepare_graph(g, f->d)) < 0)
		return r;
	last = malloc((nv + 1) * sizeof *last);
	next = malloc((nv + 1) * sizeof *next);
	head = malloc((nn + 1) * sizeof *head);
	at = malloc((nn + 1) * sizeof *at);
	grp = malloc((nn + 1) * sizeof *grp);
	fz = malloc((nn + 1) * sizeof *fz);
	if (!last || !next || !head || !at || !grp || !fz) {
		r = ox_diag_error(f->d, OX_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < nn; i++) {
		head[i] = -1;
		at[i] = (int)i;
		grp[i] = -1;
	}
	/* at[]: where each node runs (a fused member at its group's last node);
	 * grp[]: for a group's last node, its group, and -2 for the other members. */
	for (size_t i = 0; i < nn; i++) {
		struct fuse *z = &fz[nfz];
		int t;

		if (grp[i] != -1 || !find_fuse(g, g->nodes[i], z))
			continue;
		t = (z->act ? z->act : z->add)->id;
		if (grp[t] != -1 || (z->add && grp[z->add->id] != -1))
			continue;
		grp[i] = -2;
		at[i] = t;
		if (z->add && z->add->id != t) {
			grp[z->add->id] = -2;
			at[z->add->id] = t;
		}
		grp[t] = (int)nfz++;
	}
	for (size_t i = 0; i < nv; i++) {
		struct ox_value *v = g->values[i];

		last[i] = -1;
		/* An initializer's last reader frees its aligned copy, or drops its pages. */
		if (v->dead || (!v->producer && !v->init) || ox_value_is_graph_output(v))
			continue;
		last[i] = v->producer ? at[v->producer->id] : -1;
		for (size_t u = 0; u < v->n_uses; u++) {
			struct ox_node *a = ancestor_in(g, v->uses[u].node);

			if (a && !a->dead && at[a->id] > last[i])
				last[i] = at[a->id];
		}
		if (last[i] < 0)
			continue;
		next[i] = head[last[i]];
		head[last[i]] = (int)i;
	}
	f->last = last;
	for (size_t i = 0; i < nn; i++) {
		if (grp[i] == -2)
			continue;
		if ((r = grp[i] >= 0 ? run_group(f, &fz[grp[i]]) : run_node(f, g->nodes[i], NULL)) < 0)
			goto done;
		for (int v = head[i]; v >= 0; v = next[v]) {
			const struct ox_tensor *init = g->values[v]->init;

			if (f->owned[v])
				ox_xtensor_free(f->vals[v]);
			f->vals[v] = NULL;
			f->owned[v] = false;
			f->copy[v] = false;
			/* A one-shot run reads each weight of the main graph once: its file
			 * pages can go (a subgraph's may be read again, by the next
			 * iteration). Cached runs drop packed weights after the run. */
			if (init && !f->parent && !f->cache)
				ox_model_drop_pages(f->m, init->data, init->nbytes);
		}
	}
	for (size_t i = 0; i < g->n_outputs; i++) {
		struct ox_value *v = g->outputs[i];
		const struct ox_tensor *t = lookup(f, v);

		if (!t) {
			r = ox_diag_error(f->d, OX_EINVAL, "graph output '%s' has no value", v->name);
			goto done;
		}
		if (v->graph == g && f->owned[v->id]) {
			/* A value listed twice as output is handed out once and copied after. */
			outputs[i] = f->vals[v->id];
			f->owned[v->id] = false;
		} else {
			outputs[i] = ox_xtensor_copy(t);
		}
		if (!outputs[i]) {
			r = nomem(f->d);
			goto done;
		}
	}
done:
	f->last = NULL;
	if (r < 0) {
		/* Outputs handed out are no longer owned by the frame. */
		for (size_t i = 0; i < g->n_outputs; i++) {
			ox_xtensor_free(outputs[i]);
			outputs[i] = NULL;
		}
	}
	free(last);
	free(next);
	free(head);
	free(at);
	free(grp);
	free(fz);
	return r;
}

static int
frame_init(struct ox_frame *f, struct ox_frame *parent, struct ox_model *m, struct ox_graph *g,
	   struct ox_diag *d)
{
	memset(f, 0, sizeof *f);
	f->parent = parent;
	f->g = g;
	f->m = m;
	f->d = d;
	f->depth = parent ? parent->depth + 1 : 0;
	f->vals = calloc(g->n_values + 1, sizeof *f->vals);
	f->owned = calloc(g->n_values + 1, sizeof *f->owned);
	f->copy = calloc(g->n_values + 1, sizeof *f->copy);
	if (!f->vals || !f->owned || !f->copy) {
		free(f->vals);
		free(f->owned);
		free(f->copy);
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	}
	return 0;
}

size_t
ox_exec_n_feeds(const struct ox_graph *g)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n_inputs; i++)
		if (!g->inputs[i]->init)
			n++;
	return n;
}

static int
check_input(struct ox_diag *d, const struct ox_value *v, const struct ox_tensor *t)
{
	const struct ox_type *ty = v->type;

	if (!ty || ty->kind != OX_TYPE_TENSOR)
		return 0;
	if (ty->has_elem && ty->elem != t->dtype)
		return ox_diag_error(d, OX_EINVAL, "input '%s' must be %s, got %s", v->name,
				     ox_dtype_name(ty->elem), ox_dtype_name(t->dtype));
	if (ty->rank < 0)
		return 0;
	if (ty->rank != t->ndim)
		return ox_diag_error(d, OX_EINVAL, "input '%s' must have rank %d, got %d", v->name,
				     ty->rank, t->ndim);
	for (int i = 0; i < t->ndim; i++)
		if (ty->dims[i].kind == OX_DIM_VALUE && ty->dims[i].value != t->dims[i])
			return ox_diag_error(d, OX_EINVAL, "input '%s' dimension %d must be %lld, got %lld",
					     v->name, i, (long long)ty->dims[i].value, (long long)t->dims[i]);
	return 0;
}

/* After a cached run: the raw pages of initializers that kernels packed into the
 * cache are not needed by the next runs (which read the packed form), so they leave
 * memory; a kernel that reads the raw weight again all the same just faults them
 * back in from the page cache. Only read-only mappings are dropped (see onnx_io.h). */
static void
drop_packed(const struct ox_model *m, struct ox_exec_cache *c)
{
	const struct ox_graph *g = m->graph;

	for (; c->n_dropped < c->n; c->n_dropped++)
		for (size_t i = 0; i < g->n_inits; i++) {
			const struct ox_tensor *t = g->inits[i]->init;

			if (t && t->data == c->e[c->n_dropped].key) {
				ox_model_drop_pages(m, t->data, t->nbytes);
				break;
			}
		}
}

int
ox_exec_run(struct ox_model *m, struct ox_tensor *const *inputs, size_t n_inputs,
	    struct ox_tensor **outputs, struct ox_diag *d)
{
	return ox_exec_run_cached(m, NULL, inputs, n_inputs, outputs, d);
}

int
ox_exec_run_cached(struct ox_model *m, struct ox_exec_cache *cache, struct ox_tensor *const *inputs,
		   size_t n_inputs, struct ox_tensor **outputs, struct ox_diag *d)
{
	struct ox_graph *g = m->graph;
	struct ox_frame f;
	struct rec *rec = NULL;
	struct {
		bool lean;
		struct rec *rec;
		struct plan *plan;
		size_t seq;
	} was;
	size_t k = 0;
	int r;

	if (!g)
		return ox_diag_error(d, OX_EINVAL, "the model has no graph");
	atomic_store(&mem_hit, false);
	for (size_t i = 0; i < g->n_outputs; i++)
		outputs[i] = NULL;
	if (n_inputs != ox_exec_n_feeds(g))
		return ox_diag_error(d, OX_EUSAGE, "the graph takes %zu inputs, %zu given",
				     ox_exec_n_feeds(g), n_inputs);
	if ((r = frame_init(&f, NULL, m, g, d)) < 0)
		return r;
	f.cache = cache;
	for (size_t i = 0; i < g->n_inputs; i++) {
		struct ox_value *v = g->inputs[i];
		struct ox_tensor *t;

		if (v->init)
			continue;
		t = inputs[k++];
		if (!t) {
			r = ox_diag_error(d, OX_EUSAGE, "input '%s' is not given", v->name);
			goto done;
		}
		if ((r = check_input(d, v, t)) < 0)
			goto done;
		f.vals[v->id] = t;
	}
	/* A one-shot run and the run recorded for a plan give pooled blocks back;
	 * later runs with the cache take their blocks from the plan. */
	if (cache && !cache->recorded && !cache->plan)
		rec = rec_new();
	was.lean = pool_lean;
	was.rec = cur_rec;
	was.plan = cur_plan;
	was.seq = cur_seq;
	pool_lean = !cache || rec;
	cur_rec = rec;
	cur_plan = cache ? cache->plan : NULL;
	cur_seq = 0;
	r = run_frame(&f, outputs);
	pool_lean = was.lean;
	cur_rec = was.rec;
	cur_plan = was.plan;
	cur_seq = was.seq;
	if (rec) {
		cache->recorded = true;
		if (r == 0 && (cache->plan = plan_build(rec)))
			pool_drain();
		rec_free(rec);
	}
	if (r == 0 && cache)
		drop_packed(m, cache);
done:
	release_frame(&f);
	return r;
}

int
ox_exec_node(struct ox_model *m, struct ox_node *node, const struct ox_tensor *const *ins,
	     struct ox_tensor **outs, struct ox_diag *d)
{
	ox_kernel_fn *fn = ox_kernel_find(node->domain, node->op_type);
	struct ox_kctx k;
	int r = 0;

	for (int i = 0; i < node->n_out; i++)
		outs[i] = NULL;
	for (size_t i = 0; i < node->n_attrs; i++)
		if (node->attrs[i].g || node->attrs[i].n_graphs)
			fn = NULL;
	d->node = node->name;
	d->op = node->op_type;
	if (!fn) {
		r = ox_diag_error(d, OX_EUNSUPPORTED, "no kernel to run %s alone", node->op_type);
		goto out;
	}
	memset(&k, 0, sizeof k);
	k.node = node;
	k.opset = ox_model_opset(m, node->domain);
	k.in = (const struct ox_tensor **)ins;
	k.n_in = node->n_in;
	k.out = outs;
	k.n_out = node->n_out;
	k.d = d;
	if ((r = fn(&k)) < 0)
		goto out;
	for (int i = 0; i < node->n_out; i++) {
		if (node->out[i] && !outs[i]) {
			r = ox_diag_error(d, OX_EUNSUPPORTED, "the kernel made no output %d", i);
			break;
		}
		if (!node->out[i]) {
			ox_xtensor_free(outs[i]);
			outs[i] = NULL;
		}
	}
out:
	d->node = NULL;
	d->op = NULL;
	return r < 0 ? r : 0;
}

int
ox_kexec_subgraph(struct ox_kctx *k, struct ox_graph *g, const struct ox_tensor *const *inputs,
		  int n_inputs, struct ox_tensor **outputs)
{
	struct ox_frame f;
	const char *node = k->d->node, *op = k->d->op;
	int r;

	if ((size_t)n_inputs != g->n_inputs)
		return ox_kerr(k, OX_EINVAL, "the subgraph takes %zu inputs, %d given", g->n_inputs, n_inputs);
	if ((r = frame_init(&f, k->frame, k->frame->m, g, k->d)) < 0)
		return r;
	for (int i = 0; i < n_inputs; i++)
		f.vals[g->inputs[i]->id] = (struct ox_tensor *)inputs[i];
	r = run_frame(&f, outputs);
	release_frame(&f);
	k->d->node = node;
	k->d->op = op;
	return r;
}
