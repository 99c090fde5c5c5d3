#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Adler-32 of a bytes object: a C extension the image has to compile. */
static PyObject *adler32(PyObject *self, PyObject *args) {
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "y*", &data))
        return NULL;
    unsigned long a = 1, b = 0;
    const unsigned char *p = data.buf;
    for (Py_ssize_t i = 0; i < data.len; i++) {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    PyBuffer_Release(&data);
    return PyLong_FromUnsignedLong((b << 16) | a);
}

static PyMethodDef methods[] = {
    {"adler32", adler32, METH_VARARGS, "Adler-32 checksum of bytes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "checksum", NULL, -1, methods};

PyMODINIT_FUNC PyInit_checksum(void) { return PyModule_Create(&module); }
