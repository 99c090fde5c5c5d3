// notes keeps a few notes in an in-memory SQLite database through cgo and the
// system's libsqlite3: the runtime image needs the library, not its headers.
package main

/*
#cgo LDFLAGS: -lsqlite3
#include <sqlite3.h>
#include <stdlib.h>

static int run(sqlite3 *db, const char *sql) {
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

func exec(db *C.sqlite3, sql string) {
	text := C.CString(sql)
	defer C.free(unsafe.Pointer(text))
	if C.run(db, text) != C.SQLITE_OK {
		fmt.Fprintln(os.Stderr, "notes:", C.GoString(C.sqlite3_errmsg(db)))
		os.Exit(1)
	}
}

func main() {
	var db *C.sqlite3
	memory := C.CString(":memory:")
	defer C.free(unsafe.Pointer(memory))
	if C.sqlite3_open(memory, &db) != C.SQLITE_OK {
		fmt.Fprintln(os.Stderr, "notes: cannot open a database")
		os.Exit(1)
	}
	defer C.sqlite3_close(db)
	exec(db, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
	exec(db, "INSERT INTO notes (body) VALUES ('build in one stage'), ('ship in another')")

	query := C.CString("SELECT id, body FROM notes ORDER BY id")
	defer C.free(unsafe.Pointer(query))
	var statement *C.sqlite3_stmt
	if C.sqlite3_prepare_v2(db, query, -1, &statement, nil) != C.SQLITE_OK {
		fmt.Fprintln(os.Stderr, "notes:", C.GoString(C.sqlite3_errmsg(db)))
		os.Exit(1)
	}
	defer C.sqlite3_finalize(statement)
	for C.sqlite3_step(statement) == C.SQLITE_ROW {
		id := int(C.sqlite3_column_int(statement, 0))
		body := C.GoString((*C.char)(unsafe.Pointer(C.sqlite3_column_text(statement, 1))))
		fmt.Printf("%d. %s\n", id, body)
	}
	fmt.Printf("SQLite %s\n", C.GoString(C.sqlite3_libversion()))
}
