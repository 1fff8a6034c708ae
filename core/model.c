/*
 * model.c - config parsing, checkpoint loading and the embed/block/final
 * dispatch shared by every architecture.
 *
 * Loading is strict: the config must be complete and consistent, every
 * tensor the architecture expects must be present with its exact shape in
 * F32, F16 or BF16, and nothing unexpected may be left over - a typo in a key
 * would otherwise silently leave a weight at zero.  Weights are converted to
 * the compute dtype (float32 unless asked otherwise) on the model's device in
 * one cast from the file's dtype, and live in the model's persistent scope.
 *
 * Each block's intermediates go to a private work scope reset after the
 * block, so a forward pass holds only one block's activations at a time.
 */
#include "core/model.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model_impl.h"
#include "core/safetensors.h"
#include "util/err.h"
#include "util/strdist.h"

#define MODEL_CONFIG_KEY "fbw.config"

struct model {
    char *path;
    struct model_config cfg;
    const struct model_arch *arch;
    void *impl;
    enum tensor_device device;
    enum tensor_dtype dtype;            /* the compute dtype: weights and blocks */
    int trainable;                      /* weights are autograd leaves (model_load_trainable) */
    struct tensor **w;                  /* weight i in the arch's param order (in `weights`) */
    struct model_param *params;         /* what weight i is: name, shape, fixed or trained */
    int nw;
    struct tensor_scope *weights;       /* persistent: every parameter */
    struct tensor_scope *work;          /* one block's intermediates */
    int64_t param_count;
};

static const struct model_arch *const model_archs[] = {&model_arch_dit};

const enum tensor_dtype model_dtypes[MODEL_DTYPE_COUNT] = {TENSOR_F32, TENSOR_BF16, TENSOR_F16};

int
model_dtype_find(const char *name, enum tensor_dtype *out)
{
    for (int i = 0; i < MODEL_DTYPE_COUNT; i++)
        if (strcmp(name, tensor_dtype_name(model_dtypes[i])) == 0) {
            *out = model_dtypes[i];
            return 0;
        }
    return -1;
}

const char *
model_dtype_closest(const char *name)
{
    const char *names[MODEL_DTYPE_COUNT];
    for (int i = 0; i < MODEL_DTYPE_COUNT; i++)
        names[i] = tensor_dtype_name(model_dtypes[i]);
    return strdist_closest(name, names, MODEL_DTYPE_COUNT);
}

static int
model_dtype_ok(enum tensor_dtype dtype)
{
    for (int i = 0; i < MODEL_DTYPE_COUNT; i++)
        if (model_dtypes[i] == dtype)
            return 1;
    return 0;
}

static const struct model_arch *
model_arch_find(const char *name)
{
    for (size_t i = 0; i < sizeof model_archs / sizeof model_archs[0]; i++)
        if (strcmp(model_archs[i]->name, name) == 0)
            return model_archs[i];
    return NULL;
}

/* ---- config ------------------------------------------------------------- */

/* Reads an integer field; missing uses def (if def_ok) else fails. */
static int
model_json_int(json_t *o, const char *key, int def, int def_ok, int lo, int hi, int *out,
               char **cause)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL) {
        if (!def_ok)
            return err_set(cause, "config: missing \"%s\"", key);
        *out = def;
        return 0;
    }
    if (!json_is_integer(v))
        return err_set(cause, "config: \"%s\" must be an integer", key);
    json_int_t n = json_integer_value(v);
    if (n < lo || n > hi)
        return err_set(cause, "config: \"%s\" = %lld is outside [%d, %d]", key, (long long)n,
                       lo, hi);
    *out = (int)n;
    return 0;
}

static int
model_json_num(json_t *o, const char *key, double def, int def_ok, double *out, char **cause)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL) {
        if (!def_ok)
            return err_set(cause, "config: missing \"%s\"", key);
        *out = def;
        return 0;
    }
    if (!json_is_number(v))
        return err_set(cause, "config: \"%s\" must be a number", key);
    *out = json_number_value(v);
    return 0;
}

static int
model_json_str(json_t *o, const char *key, const char *def, char *out, size_t size,
               char **cause)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL && def != NULL) {
        snprintf(out, size, "%s", def);
        return 0;
    }
    if (v == NULL)
        return err_set(cause, "config: missing \"%s\"", key);
    if (!json_is_string(v) || strlen(json_string_value(v)) >= size)
        return err_set(cause, "config: \"%s\" must be a string shorter than %zu", key, size);
    snprintf(out, size, "%s", json_string_value(v));
    return 0;
}

static int
model_config_class_names(struct model_config *cfg, json_t *o, char **cause)
{
    json_t *names = json_object_get(o, "class_names");
    if (names == NULL)
        return 0;
    if (!json_is_array(names) || json_array_size(names) != (size_t)cfg->num_classes)
        return err_set(cause, "config: \"class_names\" must be an array of %d strings",
                       cfg->num_classes);
    cfg->class_names = xcalloc((size_t)cfg->num_classes, sizeof *cfg->class_names);
    for (int i = 0; i < cfg->num_classes; i++) {
        json_t *n = json_array_get(names, (size_t)i);
        if (!json_is_string(n))
            return err_set(cause, "config: class_names[%d] is not a string", i);
        cfg->class_names[i] = xstrdup(json_string_value(n));
    }
    return 0;
}

/* Cross-field checks once every field is read. */
static int
model_config_check(const struct model_config *cfg, char **cause)
{
    if (model_arch_find(cfg->arch) == NULL)
        return err_set(cause, "config: unknown \"arch\" '%s' (known: dit)", cfg->arch);
    if (cfg->input_size % cfg->patch_size != 0)
        return err_set(cause, "config: input_size %d is not a multiple of patch_size %d",
                       cfg->input_size, cfg->patch_size);
    if (cfg->hidden_size % cfg->num_heads != 0)
        return err_set(cause, "config: hidden_size %d is not a multiple of num_heads %d",
                       cfg->hidden_size, cfg->num_heads);
    if (cfg->hidden_size % 4 != 0)
        return err_set(cause, "config: hidden_size %d must be a multiple of 4 "
                       "(2-D sin-cos position embedding)", cfg->hidden_size);
    if (!(cfg->mlp_ratio > 0 && cfg->mlp_ratio <= 64))
        return err_set(cause, "config: mlp_ratio %g is outside (0, 64]", cfg->mlp_ratio);
    if (strcmp(cfg->prediction, "eps") != 0 && strcmp(cfg->prediction, "flow") != 0)
        return err_set(cause, "config: \"prediction\" must be \"eps\" or \"flow\", not '%s'",
                       cfg->prediction);
    if (strcmp(cfg->prediction, "eps") == 0 && strcmp(cfg->beta_schedule, "linear") != 0 &&
        strcmp(cfg->beta_schedule, "scaled_linear") != 0)
        return err_set(cause, "config: \"beta_schedule\" must be \"linear\" (DiT) or "
                       "\"scaled_linear\" (SD), not '%s'", cfg->beta_schedule);
    return 0;
}

int
model_config_parse(struct model_config *cfg, const char *text, char **cause)
{
    memset(cfg, 0, sizeof *cfg);
    json_error_t jerr;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL)
        return err_set(cause, "config: invalid JSON at line %d: %s", jerr.line, jerr.text);
    int rc = -1;
    if (!json_is_object(o)) {
        err_set(cause, "config: not a JSON object");
        goto out;
    }
    int ls = 0;
    if (model_json_str(o, "arch", NULL, cfg->arch, sizeof cfg->arch, cause) < 0 ||
        model_json_int(o, "input_size", 0, 0, 1, 4096, &cfg->input_size, cause) < 0 ||
        model_json_int(o, "patch_size", 0, 0, 1, 64, &cfg->patch_size, cause) < 0 ||
        model_json_int(o, "in_channels", 0, 0, 1, 64, &cfg->in_channels, cause) < 0 ||
        model_json_int(o, "hidden_size", 0, 0, 4, 16384, &cfg->hidden_size, cause) < 0 ||
        model_json_int(o, "depth", 0, 0, 1, 1024, &cfg->depth, cause) < 0 ||
        model_json_int(o, "num_heads", 0, 0, 1, 1024, &cfg->num_heads, cause) < 0 ||
        model_json_num(o, "mlp_ratio", 4.0, 1, &cfg->mlp_ratio, cause) < 0 ||
        model_json_int(o, "num_classes", 0, 0, 1, MODEL_MAX_CLASSES, &cfg->num_classes,
                       cause) < 0 ||
        model_json_str(o, "prediction", "eps", cfg->prediction, sizeof cfg->prediction,
                       cause) < 0 ||
        model_json_str(o, "beta_schedule", "linear", cfg->beta_schedule,
                       sizeof cfg->beta_schedule, cause) < 0 ||
        model_json_num(o, "beta_start", 0, 1, &cfg->beta_start, cause) < 0 ||
        model_json_num(o, "beta_end", 0, 1, &cfg->beta_end, cause) < 0 ||
        model_json_int(o, "num_timesteps", 1000, 1, 2, 100000, &cfg->num_timesteps,
                       cause) < 0 ||
        model_json_num(o, "shift", 1.0, 1, &cfg->shift, cause) < 0 ||
        model_json_num(o, "multiplier", 1000.0, 1, &cfg->multiplier, cause) < 0)
        goto out;
    json_t *lsv = json_object_get(o, "learn_sigma");
    if (lsv != NULL && !json_is_boolean(lsv)) {
        err_set(cause, "config: \"learn_sigma\" must be true or false");
        goto out;
    }
    ls = lsv != NULL && json_is_true(lsv);
    cfg->learn_sigma = ls;
    if (model_config_class_names(cfg, o, cause) < 0 || model_config_check(cfg, cause) < 0)
        goto out;
    rc = 0;
out:
    json_decref(o);
    if (rc < 0)
        model_config_release(cfg);
    return rc;
}

void
model_config_release(struct model_config *cfg)
{
    if (cfg->class_names != NULL)
        for (int i = 0; i < cfg->num_classes; i++)
            free(cfg->class_names[i]);
    free(cfg->class_names);
    cfg->class_names = NULL;
}

char *
model_config_to_json(const struct model_config *cfg)
{
    json_t *o = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:i, s:b, s:s, s:i}",
                          "arch", cfg->arch, "input_size", cfg->input_size,
                          "patch_size", cfg->patch_size, "in_channels", cfg->in_channels,
                          "hidden_size", cfg->hidden_size, "depth", cfg->depth,
                          "num_heads", cfg->num_heads, "mlp_ratio", cfg->mlp_ratio,
                          "num_classes", cfg->num_classes, "learn_sigma", cfg->learn_sigma,
                          "prediction", cfg->prediction, "num_timesteps", cfg->num_timesteps);
    CHECK(o != NULL);
    if (strcmp(cfg->prediction, "eps") == 0) {
        json_object_set_new(o, "beta_schedule", json_string(cfg->beta_schedule));
        if (cfg->beta_start > 0)
            json_object_set_new(o, "beta_start", json_real(cfg->beta_start));
        if (cfg->beta_end > 0)
            json_object_set_new(o, "beta_end", json_real(cfg->beta_end));
    } else {
        json_object_set_new(o, "shift", json_real(cfg->shift));
        json_object_set_new(o, "multiplier", json_real(cfg->multiplier));
    }
    if (cfg->class_names != NULL) {
        json_t *a = json_array();
        for (int i = 0; i < cfg->num_classes; i++)
            json_array_append_new(a, json_string(cfg->class_names[i]));
        json_object_set_new(o, "class_names", a);
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    CHECK(s != NULL);
    return s;
}

/* ---- loading ------------------------------------------------------------ */

static int
model_shape_matches(const struct safetensors_tensor *t, const struct model_param *p)
{
    if (t->ndim != p->ndim)
        return 0;
    for (int d = 0; d < p->ndim; d++)
        if (t->shape[d] != p->shape[d])
            return 0;
    return 1;
}

static void
model_shape_text(char *buf, size_t size, int ndim, const int64_t *shape)
{
    size_t n = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < ndim && n < size; d++)
        n += (size_t)snprintf(buf + n, size - n, "%s%lld", d ? "," : "", (long long)shape[d]);
    if (n < size)
        snprintf(buf + n, size - n, "]");
}

/* Convert one checkpoint tensor to the compute dtype on the device: one cast from the file's
 * dtype (a bf16 file read as f16 is rounded once, never through an intermediate dtype). */
static struct tensor *
model_load_param(struct model *m, const struct safetensors_tensor *t)
{
    enum tensor_dtype dt = t->dtype == SAFETENSORS_F32 ? TENSOR_F32 :
                           t->dtype == SAFETENSORS_F16 ? TENSOR_F16 : TENSOR_BF16;
    struct tensor *raw = tensor_from_data(m->weights, t->data, dt, t->ndim, t->shape, TENSOR_CPU);
    return tensor_to(m->weights, raw, m->dtype, m->device);
}

static int
model_load_weights(struct model *m, const struct safetensors *st, struct tensor **w, int n,
                   char **cause)
{
    char want[64], got[64];
    for (int i = 0; i < n; i++) {
        const struct model_param p = m->params[i];
        const struct safetensors_tensor *t = safetensors_find(st, p.name);
        if (t == NULL)
            return err_set(cause, "missing tensor '%s'", p.name);
        if (!model_shape_matches(t, &p)) {
            model_shape_text(want, sizeof want, p.ndim, p.shape);
            model_shape_text(got, sizeof got, t->ndim, t->shape);
            return err_set(cause, "tensor '%s' has shape %s, the config implies %s", p.name,
                           got, want);
        }
        if (t->dtype != SAFETENSORS_F32 && t->dtype != SAFETENSORS_F16 &&
            t->dtype != SAFETENSORS_BF16)
            return err_set(cause, "tensor '%s' has dtype %s (F32, F16 or BF16 expected)",
                           p.name, safetensors_dtype_name(t->dtype));
        w[i] = model_load_param(m, t);
        if (m->trainable && !p.fixed_init)
            w[i] = tensor_param(m->weights, w[i]);
        m->param_count += tensor_numel(w[i]);
    }
    if (safetensors_count(st) != (size_t)n) {
        for (size_t i = 0; i < safetensors_count(st); i++) {
            const char *name = safetensors_at(st, i)->name;
            int known = 0;
            for (int j = 0; j < n && !known; j++)
                known = strcmp(m->params[j].name, name) == 0;
            if (!known)
                return err_set(cause, "unexpected tensor '%s' (not part of a %s with this "
                               "config)", name, m->cfg.arch);
        }
    }
    if (tensor_scope_error(m->weights) != NULL)
        return err_set(cause, "%s", tensor_scope_error(m->weights));
    return 0;
}

static struct model *
model_open(const char *path, enum tensor_device device, enum tensor_dtype dtype, int trainable,
           char **cause)
{
    CHECK(model_dtype_ok(dtype) && (!trainable || dtype == TENSOR_F32));
    char *why = NULL;
    struct tensor **w = NULL;
    struct safetensors *st = safetensors_open(path, cause);
    if (st == NULL)
        return NULL;
    struct model *m = xcalloc(1, sizeof *m);
    enum tensor_scope_mode mode = trainable ? TENSOR_SCOPE_GRAD : TENSOR_SCOPE_INFERENCE;
    m->path = xstrdup(path);
    m->device = device;
    m->dtype = dtype;
    m->trainable = trainable;
    m->weights = tensor_scope_new(mode);
    m->work = tensor_scope_new(mode);
    const char *json = safetensors_metadata(st, MODEL_CONFIG_KEY);
    if (json == NULL) {
        why = xstrdup("no \"" MODEL_CONFIG_KEY "\" in __metadata__ (not an fbw model; "
                      "see 'fbw info --help' for the format)");
        goto fail;
    }
    if (model_config_parse(&m->cfg, json, &why) < 0)
        goto fail;
    m->arch = model_arch_find(m->cfg.arch);
    int n = m->arch->param_count(&m->cfg);
    w = xcalloc((size_t)n, sizeof *w);
    m->params = xcalloc((size_t)n, sizeof *m->params);
    for (int i = 0; i < n; i++)
        m->arch->param_at(&m->cfg, i, &m->params[i]);
    if (model_load_weights(m, st, w, n, &why) < 0)
        goto fail;
    m->impl = m->arch->init(&m->cfg, w, m->weights, &why);
    if (m->impl == NULL)
        goto fail;
    m->w = w;
    m->nw = n;
    safetensors_free(st);
    return m;
fail:
    err_set(cause, "cannot load model '%s': %s", path, why);
    free(why);
    free(w);
    safetensors_free(st);
    model_free(m);
    return NULL;
}

struct model *
model_load(const char *path, enum tensor_device device, char **cause)
{
    return model_open(path, device, TENSOR_F32, 0, cause);
}

struct model *
model_load_as(const char *path, enum tensor_device device, enum tensor_dtype dtype,
              char **cause)
{
    return model_open(path, device, dtype, 0, cause);
}

struct model *
model_load_trainable(const char *path, enum tensor_device device, char **cause)
{
    return model_open(path, device, TENSOR_F32, 1, cause);
}

int
model_weight_count(const struct model *m)
{
    return m->nw;
}

struct tensor *
model_weight(const struct model *m, int i, const char **name, int *trainable)
{
    CHECK(i >= 0 && i < m->nw);
    if (name != NULL)
        *name = m->params[i].name;
    if (trainable != NULL)
        *trainable = m->trainable && !m->params[i].fixed_init;
    return m->w[i];
}

struct model *
model_new_custom(const struct model_arch *arch, const struct model_config *cfg, void *impl,
                 enum tensor_device device)
{
    CHECK(cfg->class_names == NULL);
    struct model *m = xcalloc(1, sizeof *m);
    m->path = xstrdup("(custom)");
    m->cfg = *cfg;
    m->arch = arch;
    m->impl = impl;
    m->device = device;
    m->dtype = TENSOR_F32;
    m->weights = tensor_scope_new(TENSOR_SCOPE_INFERENCE);
    m->work = tensor_scope_new(TENSOR_SCOPE_INFERENCE);
    return m;
}

void
model_free(struct model *m)
{
    if (m == NULL)
        return;
    if (m->impl != NULL)
        m->arch->release(m->impl);
    tensor_scope_free(m->work);
    tensor_scope_free(m->weights);
    free(m->w);
    free(m->params);
    model_config_release(&m->cfg);
    free(m->path);
    free(m);
}

const struct model_config *
model_config(const struct model *m)
{
    return &m->cfg;
}

int
model_depth(const struct model *m)
{
    return m->cfg.depth;
}

struct model_flops
model_flops(const struct model_config *c, int batch)
{
    const double B = batch, H = c->hidden_size, P = c->patch_size, C = c->in_channels;
    const double g = c->input_size / c->patch_size, T = g * g;
    const double M = (double)(int)(H * c->mlp_ratio), Co = c->learn_sigma ? 2 * C : C;
    return (struct model_flops){
        .embed = 2.0 * B * (T * H * C * P * P + 256 * H + H * H),
        .block = 2.0 * B * (6 * H * H + T * (3 * H * H + H * H + 2 * H * M) + 2 * T * T * H),
        .final = 2.0 * B * (2 * H * H + T * H * P * P * Co),
    };
}

int64_t
model_param_count(const struct model *m)
{
    return m->param_count;
}

enum tensor_device
model_device(const struct model *m)
{
    return m->device;
}

enum tensor_dtype
model_dtype(const struct model *m)
{
    return m->dtype;
}

const char *
model_path(const struct model *m)
{
    return m->path;
}

int
model_out_channels(const struct model *m)
{
    return m->cfg.in_channels;
}

/* ---- forward -------------------------------------------------------------- */

void
model_embed(struct model *m, struct tensor_scope *s, struct tensor *x, struct tensor *timestep,
            struct tensor *y, struct model_state *st)
{
    m->arch->embed(m->impl, s, x, timestep, y, st);
}

/* Moves a work-scope result into s, carrying the work scope's error over. */
static struct tensor *
model_keep(struct model *m, struct tensor_scope *s, struct tensor *t)
{
    const char *err = tensor_scope_error(m->work);
    struct tensor *kept = err ? NULL : tensor_copy_to(s, t);
    if (err != NULL)
        tensor_scope_set_error(s, err);
    tensor_scope_reset(m->work);
    return kept;
}

void
model_block(struct model *m, struct tensor_scope *s, int i, struct model_state *st)
{
    CHECK(i >= 0 && i < m->cfg.depth);
    if (st->h == NULL || st->c_act == NULL) {
        tensor_scope_set_error(s, "model_block: no input state (an earlier op failed)");
        st->h = NULL;
        return;
    }
    st->h = model_keep(m, s, m->arch->block(m->impl, m->work, i, st));
}

struct tensor *
model_final(struct model *m, struct tensor_scope *s, struct model_state *st)
{
    if (st->h == NULL || st->c_act == NULL) {
        tensor_scope_set_error(s, "model_final: no input state (an earlier op failed)");
        return NULL;
    }
    return model_keep(m, s, m->arch->final(m->impl, m->work, st));
}

/* ---- random checkpoints ----------------------------------------------------- */

/* DiT's adaLN-Zero: every modulation and the final linear start at zero. */
static int
model_param_zero_init(const struct model_param *p)
{
    return strstr(p->name, "adaLN_modulation") != NULL ||
           strncmp(p->name, "final_layer.linear.", 19) == 0;
}

static int
model_random_param(const struct model_config *cfg, const struct model_arch *arch,
                   const struct model_param *p, struct tensor_gen *gen, int adaln_zero,
                   struct safetensors_writer *wr, char **cause)
{
    int64_t numel = 1;
    for (int d = 0; d < p->ndim; d++)
        numel *= p->shape[d];
    float *buf = xmalloc((size_t)numel * sizeof *buf);
    int rc = -1;
    if (p->fixed_init) {
        arch->fixed_values(cfg, p, buf);
    } else if (adaln_zero && model_param_zero_init(p)) {
        memset(buf, 0, (size_t)numel * sizeof *buf);
    } else {
        struct tensor_scope *s = tensor_scope_new(TENSOR_SCOPE_INFERENCE);
        struct tensor *t = tensor_mul_scalar(s, tensor_randn(s, gen, p->ndim, p->shape),
                                             p->init_std);
        int ok = tensor_read_f32(s, t, buf, (size_t)numel) == 0;
        if (!ok)
            err_set(cause, "%s", tensor_scope_error(s));
        tensor_scope_free(s);
        if (!ok)
            goto out;
    }
    rc = safetensors_writer_add(wr, p->name, SAFETENSORS_F32, p->ndim, p->shape, buf,
                                (size_t)numel * sizeof *buf, cause);
out:
    free(buf);
    return rc;
}

static int
model_write_drawn(const struct model_config *cfg, uint64_t seed, int adaln_zero,
                  const char *path, char **cause)
{
    char *why = NULL;
    const struct model_arch *arch = model_arch_find(cfg->arch);
    if (arch == NULL || model_config_check(cfg, &why) < 0) {
        err_set(cause, "cannot write model '%s': %s", path, why ? why : "unknown arch");
        free(why);
        return -1;
    }
    struct tensor_gen *gen = tensor_gen_new(seed, TENSOR_CPU, cause);
    if (gen == NULL)
        return -1;
    struct safetensors_writer *wr = safetensors_writer_new();
    char *json = model_config_to_json(cfg);
    int rc = safetensors_writer_set_metadata(wr, MODEL_CONFIG_KEY, json, cause);
    int n = arch->param_count(cfg);
    for (int i = 0; i < n && rc == 0; i++) {
        struct model_param p;
        arch->param_at(cfg, i, &p);
        rc = model_random_param(cfg, arch, &p, gen, adaln_zero, wr, cause);
    }
    if (rc == 0)
        rc = safetensors_writer_write(wr, path, cause);
    free(json);
    safetensors_writer_free(wr);
    tensor_gen_free(gen);
    return rc;
}

int
model_write_random(const struct model_config *cfg, uint64_t seed, const char *path,
                   char **cause)
{
    return model_write_drawn(cfg, seed, 0, path, cause);
}

int
model_write_init(const struct model_config *cfg, uint64_t seed, const char *path, char **cause)
{
    return model_write_drawn(cfg, seed, 1, path, cause);
}

/* ---- saving ------------------------------------------------------------------ */

static int
model_save_weight(struct tensor *t, const struct model_param *p, struct safetensors_writer *wr,
                  char **cause)
{
    struct tensor_scope *s = tensor_scope_new(TENSOR_SCOPE_INFERENCE);
    size_t n = (size_t)tensor_numel(t);
    float *buf = xmalloc(n * sizeof *buf);
    int rc = tensor_read_f32(s, t, buf, n) == 0 ? 0 : err_set(cause, "%s", tensor_scope_error(s));
    if (rc == 0)
        rc = safetensors_writer_add(wr, p->name, SAFETENSORS_F32, p->ndim, p->shape, buf,
                                    n * sizeof *buf, cause);
    free(buf);
    tensor_scope_free(s);
    return rc;
}

int
model_save(const struct model *m, struct tensor *const *override, const char *const *keys,
           const char *const *values, int nextra, const char *path, char **cause)
{
    struct safetensors_writer *wr = safetensors_writer_new();
    char *json = model_config_to_json(&m->cfg);
    int rc = safetensors_writer_set_metadata(wr, MODEL_CONFIG_KEY, json, cause);
    for (int i = 0; i < nextra && rc == 0; i++)
        rc = safetensors_writer_set_metadata(wr, keys[i], values[i], cause);
    for (int i = 0; i < m->nw && rc == 0; i++) {
        struct tensor *t = override != NULL && override[i] != NULL ? override[i] : m->w[i];
        rc = model_save_weight(t, &m->params[i], wr, cause);
    }
    if (rc == 0)
        rc = safetensors_writer_write(wr, path, cause);
    free(json);
    safetensors_writer_free(wr);
    return rc;
}
