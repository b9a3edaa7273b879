/* The capture's per-request recorder in C: the same row as the pure-Python recorder in
 * pockit/load/_capture_batch.py (Capture.recorder), appended to the same flat list.
 *
 * Why C: inside a loaded Locust process the Python recorder costs ~4 µs of the ~220 µs that a
 * request costs Locust itself (benchmarks/bench_capture.py), about 2% of Locust's requests/s;
 * this does the same work without running Python bytecode. The Python recorder stays: it is used
 * when this module was not built (no C compiler), and tests/load/test_crecord.py checks the two
 * give the same rows, the same errors and the same flushes, event by event.
 *
 * A row is (start, latency, status, nbytes, retry, name, method, error[, intended]):
 *   start    = kw["start_time"], or now() - latency/1000 (0 when latency is None) when missing/None
 *   latency  = kw["response_time"]
 *   status   = getattr(kw["response"], "status_code", 0) or 0
 *   nbytes   = kw["response_length"] or 0
 *   retry    = retry_of(kw["context"]) if kw["context"] else no_retry
 *   name     = kw["name"];  method = kw["request_type"]
 *   error    = None if kw["exception"] is None else (str(exc) or type(exc).__name__)
 *   intended = intended(start)   (open-model runs only)
 * A missing key reads as None. An Exception while reading the event calls unrecorded(err) and
 * appends nothing; anything else (KeyboardInterrupt, GreenletExit) is raised. When the list holds
 * at least `limit` values after the append, flush() is called.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    PyObject *values;     /* list: the flat buffer */
    Py_ssize_t limit;     /* flush when len(values) >= limit */
    PyObject *flush;      /* flush() */
    PyObject *now;        /* time.time */
    PyObject *intended;   /* pacer.intended, or None */
    PyObject *retry_of;   /* _retry_of(context) */
    PyObject *no_retry;   /* the retry value when no context is given */
    PyObject *unrecorded; /* unrecorded(err) */
    PyObject *fallback;   /* the Python recorder, for an event that is not a plain dict */
} Recorder;

static PyObject *k_start, *k_latency, *k_exception, *k_context, *k_response, *k_length, *k_name,
    *k_method, *a_status, *a_name, *thousand, *zero_f, *zero_i;

static int
Recorder_traverse(Recorder *self, visitproc visit, void *arg)
{
    Py_VISIT(self->values);
    Py_VISIT(self->flush);
    Py_VISIT(self->now);
    Py_VISIT(self->intended);
    Py_VISIT(self->retry_of);
    Py_VISIT(self->no_retry);
    Py_VISIT(self->unrecorded);
    Py_VISIT(self->fallback);
    return 0;
}

static int
Recorder_clear(Recorder *self)
{
    Py_CLEAR(self->values);
    Py_CLEAR(self->flush);
    Py_CLEAR(self->now);
    Py_CLEAR(self->intended);
    Py_CLEAR(self->retry_of);
    Py_CLEAR(self->no_retry);
    Py_CLEAR(self->unrecorded);
    Py_CLEAR(self->fallback);
    return 0;
}

static void
Recorder_dealloc(Recorder *self)
{
    PyObject_GC_UnTrack(self);
    Recorder_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
Recorder_init(Recorder *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"values", "limit", "flush", "now", "intended", "retry_of",
                             "no_retry", "unrecorded", "fallback", NULL};
    PyObject *values, *flush, *now, *intended, *retry_of, *no_retry, *unrecorded, *fallback;
    Py_ssize_t limit;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!nOOOOOOO", kwlist, &PyList_Type, &values,
                                     &limit, &flush, &now, &intended, &retry_of, &no_retry,
                                     &unrecorded, &fallback))
        return -1;
    Py_INCREF(values);
    Py_XSETREF(self->values, values);
    self->limit = limit;
    Py_INCREF(flush);
    Py_XSETREF(self->flush, flush);
    Py_INCREF(now);
    Py_XSETREF(self->now, now);
    Py_INCREF(intended);
    Py_XSETREF(self->intended, intended);
    Py_INCREF(retry_of);
    Py_XSETREF(self->retry_of, retry_of);
    Py_INCREF(no_retry);
    Py_XSETREF(self->no_retry, no_retry);
    Py_INCREF(unrecorded);
    Py_XSETREF(self->unrecorded, unrecorded);
    Py_INCREF(fallback);
    Py_XSETREF(self->fallback, fallback);
    return 0;
}

/* Where a request event's values are read from: the dict Python's ``fire`` holds, or the keyword
 * arguments of a vectorcall (values and their names), which Fire reads without making a dict. */
typedef struct {
    PyObject *dict;           /* a dict, or NULL: then args and kwnames */
    PyObject *const *args;
    PyObject *kwnames;
} Source;

/* Whether keyword `name` (a str, as a vectorcall's names are) spells `key`. */
static int
same_name(PyObject *name, PyObject *key)
{
    return name == key || (PyUnicode_GET_LENGTH(name) == PyUnicode_GET_LENGTH(key) &&
                           PyUnicode_Compare(name, key) == 0);
}

/* The event's value of `key` as a new reference, None when missing; NULL with an exception set on
 * error. Names a vectorcall gives are nearly always the interned ones the call site spelled: those
 * match by identity; any other str is compared by value. */
static PyObject *
get(Source *src, PyObject *key)
{
    PyObject *v;
    if (src->dict != NULL) {
        v = PyDict_GetItemWithError(src->dict, key);
        if (v == NULL) {
            if (PyErr_Occurred())
                return NULL;
            v = Py_None;
        }
        return Py_NewRef(v);
    }
    Py_ssize_t n = src->kwnames == NULL ? 0 : PyTuple_GET_SIZE(src->kwnames);
    for (Py_ssize_t i = 0; i < n; i++)
        if (PyTuple_GET_ITEM(src->kwnames, i) == key)
            return Py_NewRef(src->args[i]);
    for (Py_ssize_t i = 0; i < n; i++)
        if (same_name(PyTuple_GET_ITEM(src->kwnames, i), key))
            return Py_NewRef(src->args[i]);
    return Py_NewRef(Py_None);
}

/* value if it is true, else `fallback` (new references both); NULL on error. Steals value. */
static PyObject *
or_else(PyObject *value, PyObject *fallback)
{
    int truth;
    if (value == NULL)
        return NULL;
    truth = PyObject_IsTrue(value);
    if (truth < 0) {
        Py_DECREF(value);
        return NULL;
    }
    if (truth)
        return value;
    Py_DECREF(value);
    Py_INCREF(fallback);
    return fallback;
}

#define NROW 9

/* The row's values into row[] (new references); 0, or -1 with an exception set. */
static int
read_row(Recorder *self, Source *kw, PyObject **row, int width)
{
    PyObject *start = NULL, *latency = NULL, *exc = NULL, *ctx = NULL, *response = NULL;
    PyObject *tmp = NULL, *t = NULL, *off = NULL;
    int truth;

    if ((start = get(kw, k_start)) == NULL || (latency = get(kw, k_latency)) == NULL ||
        (exc = get(kw, k_exception)) == NULL || (ctx = get(kw, k_context)) == NULL)
        goto fail;
    if (start == Py_None) {
        Py_DECREF(start);
        start = NULL;
        if ((t = PyObject_CallNoArgs(self->now)) == NULL)
            goto fail;
        if (latency == Py_None) {
            off = zero_f;
            Py_INCREF(off);
        }
        else if ((off = PyNumber_TrueDivide(latency, thousand)) == NULL)
            goto fail;
        if ((start = PyNumber_Subtract(t, off)) == NULL)
            goto fail;
    }
    row[0] = start;
    start = NULL;
    row[1] = latency;
    latency = NULL;
    if ((response = get(kw, k_response)) == NULL)
        goto fail;
    if (response == Py_None)
        tmp = zero_i, Py_INCREF(tmp);
    else if ((tmp = PyObject_GetAttr(response, a_status)) == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError))
            goto fail;
        PyErr_Clear();
        tmp = zero_i;
        Py_INCREF(tmp);
    }
    if ((row[2] = or_else(tmp, zero_i)) == NULL) {
        tmp = NULL;
        goto fail;
    }
    tmp = NULL;
    if ((row[3] = or_else(get(kw, k_length), zero_i)) == NULL)
        goto fail;
    if ((truth = PyObject_IsTrue(ctx)) < 0)
        goto fail;
    if (truth) {
        if ((row[4] = PyObject_CallOneArg(self->retry_of, ctx)) == NULL)
            goto fail;
    }
    else {
        row[4] = self->no_retry;
        Py_INCREF(row[4]);
    }
    if ((row[5] = get(kw, k_name)) == NULL || (row[6] = get(kw, k_method)) == NULL)
        goto fail;
    if (exc == Py_None) {
        row[7] = Py_None;
        Py_INCREF(Py_None);
    }
    else {
        if ((tmp = PyObject_Str(exc)) == NULL)
            goto fail;
        if (PyUnicode_GET_LENGTH(tmp) == 0) {
            Py_DECREF(tmp);
            if ((tmp = PyObject_GetAttr((PyObject *)Py_TYPE(exc), a_name)) == NULL)
                goto fail;
        }
        row[7] = tmp;
        tmp = NULL;
    }
    if (width > 8 && (row[8] = PyObject_CallOneArg(self->intended, row[0])) == NULL)
        goto fail;
    Py_XDECREF(exc);
    Py_XDECREF(ctx);
    Py_XDECREF(response);
    Py_XDECREF(t);
    Py_XDECREF(off);
    return 0;
fail:
    Py_XDECREF(start);
    Py_XDECREF(latency);
    Py_XDECREF(exc);
    Py_XDECREF(ctx);
    Py_XDECREF(response);
    Py_XDECREF(tmp);
    Py_XDECREF(t);
    Py_XDECREF(off);
    for (int i = 0; i < width; i++)
        Py_CLEAR(row[i]);
    return -1;
}

/* Record the event read from `src`: the row appended whole, or unrecorded(err) called; None, or
 * NULL with an exception set (a BaseException, no memory, or what flush() raised). */
static PyObject *
record_from(Recorder *self, Source *src)
{
    PyObject *row[NROW] = {NULL};
    int width = self->intended == Py_None ? 8 : 9;
    Py_ssize_t n;

    if (read_row(self, src, row, width) < 0) {
        PyObject *type, *value, *tb, *res;
        if (!PyErr_ExceptionMatches(PyExc_Exception))
            return NULL; /* KeyboardInterrupt, GreenletExit: raised, as `except Exception` does */
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        if (tb != NULL)
            PyException_SetTraceback(value, tb);
        res = PyObject_CallOneArg(self->unrecorded, value);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        return res == NULL ? NULL : (Py_DECREF(res), Py_NewRef(Py_None));
    }
    n = PyList_GET_SIZE(self->values);
    for (int i = 0; i < width; i++) {
        if (PyList_Append(self->values, row[i]) < 0) { /* no memory: the row goes whole or not */
            Py_ssize_t now_n = PyList_GET_SIZE(self->values);
            if (now_n > n)
                PyList_SetSlice(self->values, n, now_n, NULL);
            for (int j = 0; j < width; j++)
                Py_XDECREF(row[j]);
            return NULL;
        }
    }
    for (int i = 0; i < width; i++)
        Py_DECREF(row[i]);
    if (PyList_GET_SIZE(self->values) >= self->limit)
        return PyObject_CallNoArgs(self->flush);
    Py_RETURN_NONE;
}

static PyObject *
Recorder_record(Recorder *self, PyObject *kw)
{
    Source src = {kw, NULL, NULL};
    if (!PyDict_CheckExact(kw))
        return PyObject_CallOneArg(self->fallback, kw);
    return record_from(self, &src);
}

static PyMethodDef Recorder_methods[] = {
    {"record", (PyCFunction)Recorder_record, METH_O,
     "record(kw): append the request event's row to the buffer (see the module's doc)."},
    {NULL},
};

static PyTypeObject RecorderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pockit.load._crecord.Recorder",
    .tp_doc = PyDoc_STR("The capture's per-request recorder (Capture.recorder's row, in C)."),
    .tp_basicsize = sizeof(Recorder),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Recorder_init,
    .tp_dealloc = (destructor)Recorder_dealloc,
    .tp_traverse = (traverseproc)Recorder_traverse,
    .tp_clear = (inquiry)Recorder_clear,
    .tp_methods = Recorder_methods,
};


/* ---------------------------------------------------------------------------------------------
 * The host guard's fast path (pockit/load/_capture_guard.py): Guard(build, permitted, slow,
 * fallback) is a
 * method of the session classes in place of their ``_build_url``. ``guard(session, path)``:
 *   full = build(session, path)        (Locust's own _build_url)
 *   if path is a str starting with "/" but not "//" (relative: the session's own host) and
 *      permitted.get(session.base_url) is True: return full
 *   else: return slow(session, path, full)   (decides the base URL once, checks absolute URLs)
 * Called any other way (keywords, another count of arguments): fallback(*args, **kwargs), the
 * pure-Python guard, so no form of the call goes unchecked.
 * A method descriptor with vectorcall: ``self._build_url(url)`` runs no Python frame of its own.
 */
typedef struct {
    PyObject_HEAD
    PyObject *build;     /* Locust's _build_url */
    PyObject *permitted; /* dict: base URL -> bool */
    PyObject *slow;      /* slow(session, path, full) */
    PyObject *fallback;  /* the pure-Python guard */
    vectorcallfunc vectorcall;
} Guard;

static PyObject *a_base_url;

static PyObject *
Guard_vectorcall(Guard *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *session, *path, *full, *base, *known, *slow_args[3];

    if (nargs != 2 || kwnames != NULL) /* not the (session, path) Locust calls it with */
        return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    session = args[0];
    path = args[1];
    if ((full = PyObject_Vectorcall(self->build, args, 2, NULL)) == NULL)
        return NULL;
    if (PyUnicode_Check(path) && PyUnicode_GET_LENGTH(path) >= 1 &&
        PyUnicode_READ_CHAR(path, 0) == '/' &&
        (PyUnicode_GET_LENGTH(path) == 1 || PyUnicode_READ_CHAR(path, 1) != '/')) {
        if ((base = PyObject_GetAttr(session, a_base_url)) == NULL) {
            Py_DECREF(full);
            return NULL;
        }
        known = PyDict_GetItemWithError(self->permitted, base); /* borrowed */
        Py_DECREF(base);
        if (known == Py_True)
            return full;
        PyErr_Clear(); /* an unhashable base URL: the slow path says what is wrong */
    }
    slow_args[0] = session;
    slow_args[1] = path;
    slow_args[2] = full;
    base = PyObject_Vectorcall(self->slow, slow_args, 3, NULL);
    Py_DECREF(full);
    return base;
}

static int
Guard_init(Guard *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"build", "permitted", "slow", "fallback", NULL};
    PyObject *build, *permitted, *slow, *fallback;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!OO", kwlist, &build, &PyDict_Type, &permitted,
                                     &slow, &fallback))
        return -1;
    Py_INCREF(fallback);
    Py_XSETREF(self->fallback, fallback);
    Py_INCREF(build);
    Py_XSETREF(self->build, build);
    Py_INCREF(permitted);
    Py_XSETREF(self->permitted, permitted);
    Py_INCREF(slow);
    Py_XSETREF(self->slow, slow);
    self->vectorcall = (vectorcallfunc)Guard_vectorcall;
    return 0;
}

static int
Guard_traverse(Guard *self, visitproc visit, void *arg)
{
    Py_VISIT(self->build);
    Py_VISIT(self->permitted);
    Py_VISIT(self->slow);
    Py_VISIT(self->fallback);
    return 0;
}

static int
Guard_clear(Guard *self)
{
    Py_CLEAR(self->build);
    Py_CLEAR(self->permitted);
    Py_CLEAR(self->slow);
    Py_CLEAR(self->fallback);
    return 0;
}

static void
Guard_dealloc(Guard *self)
{
    PyObject_GC_UnTrack(self);
    Guard_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Guard_get(PyObject *self, PyObject *obj, PyObject *type)
{
    if (obj == NULL || obj == Py_None)
        return Py_NewRef(self);
    return PyMethod_New(self, obj);
}

static PyObject *
Guard_wrapped(Guard *self, void *closure)
{
    return Py_NewRef(self->build);
}

static PyObject *
Guard_true(Guard *self, void *closure)
{
    Py_RETURN_TRUE;
}

static PyGetSetDef Guard_getset[] = {
    {"__wrapped__", (getter)Guard_wrapped, NULL, "Locust's own _build_url.", NULL},
    {"_pockit_guarded", (getter)Guard_true, NULL, "Always True: already guarded.", NULL},
    {NULL},
};

static PyTypeObject GuardType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pockit.load._crecord.Guard",
    .tp_doc = PyDoc_STR("The host guard's fast path, in place of a session's _build_url."),
    .tp_basicsize = sizeof(Guard),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL |
                Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_vectorcall_offset = offsetof(Guard, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_descr_get = Guard_get,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Guard_init,
    .tp_dealloc = (destructor)Guard_dealloc,
    .tp_traverse = (traverseproc)Guard_traverse,
    .tp_clear = (inquiry)Guard_clear,
    .tp_getset = Guard_getset,
};

/* ---------------------------------------------------------------------------------------------
 * The request hook's ``fire`` (pockit/load/_capture_fire.py, ``attach``): Fire(hook, recorder,
 * python_fire, passed_on, on_error) is set as the instance's ``fire``.
 * ``fire(**kwargs)`` does what Locust's ``EventHook.fire`` does, with the recorder first:
 *   record the event (the Recorder's row, read from the keyword arguments as given: no dict)
 *   for handler in hook._handlers.copy():      (a listener may add or remove listeners)
 *       handler(**kwargs)                      (a vectorcall with the same arguments: no dict)
 *       an exception of passed_on (StopUser, RescheduleTask...) or a BaseException: raised;
 *       any other Exception: on_error(exc) (Locust's log line and unhandled-exception flag),
 *       and the next handler runs
 * Called any other way (positional arguments, ``reverse=``), or when ``hook._handlers`` is not a
 * list: python_fire(*args, **kwargs), attach's Python copy of Locust's loop, so behaviour is the
 * same whichever runs. What this saves over Locust's own ``fire``: its Python frame, the kwargs
 * dict it builds, and each handler's ``**kwargs`` unpacking (~1.8 µs per request in timeit).
 */
typedef struct {
    PyObject_HEAD
    PyObject *hook;        /* the EventHook: its _handlers are read at every call */
    Recorder *recorder;    /* the capture's recorder */
    PyObject *python_fire; /* attach's Python fire */
    PyObject *passed_on;   /* tuple of exception types raised on, as Locust's fire does */
    PyObject *on_error;    /* on_error(exc): as Locust's fire logs a listener's exception */
    vectorcallfunc vectorcall;
} Fire;

static PyObject *a_handlers, *k_reverse;

static PyObject *
Fire_vectorcall(Fire *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf), nkw, n;
    PyObject *handlers, *snapshot, *res;
    Source src = {NULL, args, kwnames};

    nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    if (nargs != 0)
        return PyObject_Vectorcall(self->python_fire, args, nargsf, kwnames);
    for (Py_ssize_t i = 0; i < nkw; i++)
        if (same_name(PyTuple_GET_ITEM(kwnames, i), k_reverse))
            return PyObject_Vectorcall(self->python_fire, args, nargsf, kwnames);
    if ((handlers = PyObject_GetAttr(self->hook, a_handlers)) == NULL)
        return NULL;
    if (!PyList_CheckExact(handlers)) {
        Py_DECREF(handlers);
        return PyObject_Vectorcall(self->python_fire, args, nargsf, kwnames);
    }
    snapshot = PyList_GetSlice(handlers, 0, PyList_GET_SIZE(handlers));
    Py_DECREF(handlers);
    if (snapshot == NULL)
        return NULL;
    if ((res = record_from(self->recorder, &src)) == NULL) {
        Py_DECREF(snapshot);
        return NULL;
    }
    Py_DECREF(res);
    n = PyList_GET_SIZE(snapshot);
    for (Py_ssize_t i = 0; i < n; i++) {
        res = PyObject_Vectorcall(PyList_GET_ITEM(snapshot, i), args, 0, kwnames);
        if (res != NULL) {
            Py_DECREF(res);
            continue;
        }
        if (PyErr_ExceptionMatches(self->passed_on) || !PyErr_ExceptionMatches(PyExc_Exception)) {
            Py_DECREF(snapshot);
            return NULL;
        }
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        if (tb != NULL)
            PyException_SetTraceback(value, tb);
        res = PyObject_CallOneArg(self->on_error, value);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        if (res == NULL) {
            Py_DECREF(snapshot);
            return NULL;
        }
        Py_DECREF(res);
    }
    Py_DECREF(snapshot);
    Py_RETURN_NONE;
}

static int
Fire_init(Fire *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"hook", "recorder", "python_fire", "passed_on", "on_error", NULL};
    PyObject *hook, *recorder, *python_fire, *passed_on, *on_error;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!OO!O", kwlist, &hook, &RecorderType,
                                     &recorder, &python_fire, &PyTuple_Type, &passed_on,
                                     &on_error))
        return -1;
    Py_XSETREF(self->hook, Py_NewRef(hook));
    Py_XSETREF(self->recorder, (Recorder *)Py_NewRef(recorder));
    Py_XSETREF(self->python_fire, Py_NewRef(python_fire));
    Py_XSETREF(self->passed_on, Py_NewRef(passed_on));
    Py_XSETREF(self->on_error, Py_NewRef(on_error));
    self->vectorcall = (vectorcallfunc)Fire_vectorcall;
    return 0;
}

static int
Fire_traverse(Fire *self, visitproc visit, void *arg)
{
    Py_VISIT(self->hook);
    Py_VISIT(self->recorder);
    Py_VISIT(self->python_fire);
    Py_VISIT(self->passed_on);
    Py_VISIT(self->on_error);
    return 0;
}

static int
Fire_clear(Fire *self)
{
    Py_CLEAR(self->hook);
    Py_CLEAR(self->recorder);
    Py_CLEAR(self->python_fire);
    Py_CLEAR(self->passed_on);
    Py_CLEAR(self->on_error);
    return 0;
}

static void
Fire_dealloc(Fire *self)
{
    PyObject_GC_UnTrack(self);
    Fire_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject FireType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pockit.load._crecord.Fire",
    .tp_doc = PyDoc_STR("The request hook's fire with the capture's recorder first, in C."),
    .tp_basicsize = sizeof(Fire),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(Fire, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Fire_init,
    .tp_dealloc = (destructor)Fire_dealloc,
    .tp_traverse = (traverseproc)Fire_traverse,
    .tp_clear = (inquiry)Fire_clear,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_crecord",
    "The capture's per-request work in C: the recorder, the request hook's fire and the host "
    "guard's fast path.", -1, NULL,
    NULL, NULL, NULL, NULL,
};

#define INTERN(var, s)                                                                         \
    if ((var = PyUnicode_InternFromString(s)) == NULL)                                         \
        return NULL;

PyMODINIT_FUNC
PyInit__crecord(void)
{
    PyObject *m;
    INTERN(k_start, "start_time");
    INTERN(k_latency, "response_time");
    INTERN(k_exception, "exception");
    INTERN(k_context, "context");
    INTERN(k_response, "response");
    INTERN(k_length, "response_length");
    INTERN(k_name, "name");
    INTERN(k_method, "request_type");
    INTERN(a_status, "status_code");
    INTERN(a_name, "__name__");
    INTERN(a_base_url, "base_url");
    INTERN(a_handlers, "_handlers");
    INTERN(k_reverse, "reverse");
    if ((thousand = PyFloat_FromDouble(1000.0)) == NULL || (zero_f = PyFloat_FromDouble(0.0)) == NULL ||
        (zero_i = PyLong_FromLong(0)) == NULL)
        return NULL;
    if (PyType_Ready(&RecorderType) < 0 || PyType_Ready(&GuardType) < 0 ||
        PyType_Ready(&FireType) < 0)
        return NULL;
    if ((m = PyModule_Create(&module)) == NULL)
        return NULL;
    Py_INCREF(&RecorderType);
    if (PyModule_AddObject(m, "Recorder", (PyObject *)&RecorderType) < 0) {
        Py_DECREF(&RecorderType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&GuardType);
    if (PyModule_AddObject(m, "Guard", (PyObject *)&GuardType) < 0) {
        Py_DECREF(&GuardType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&FireType);
    if (PyModule_AddObject(m, "Fire", (PyObject *)&FireType) < 0) {
        Py_DECREF(&FireType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
