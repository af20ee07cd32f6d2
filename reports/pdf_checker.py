"""Read a PDF through in a process of its own: ``python -P pdf_checker.py PATH MAX_BYTES SECONDS``.

Run by reports.pdf_files, never imported by the shop. A hostile PDF can make qpdf
allocate hundreds of megabytes from a file of a few hundred kilobytes (100,000
references to one page are copied into 100,000 pages); in the web worker that
memory would stay with the process for good. Here the address space and CPU time
are capped before pikepdf is loaded, and everything is returned to the system
when the process ends. Prints one JSON object: {"pages": n} or {"problem": code,
"detail": text}. Standard library and pikepdf only: no Django, so it starts fast.
"""

import io
import json
import resource
import sys


class _NullWriter(io.RawIOBase):
    def writable(self):
        return True

    def write(self, data):
        return len(data)


def read_through(path: str) -> dict:
    """Open without repair, read every object, and refuse what qpdf only warns about."""
    import pikepdf  # after the limits, so its libraries count against them too

    try:
        # No recovery: qpdf would "repair" a truncated file into empty pages, silently.
        with pikepdf.Pdf.open(path, attempt_recovery=False) as pdf:
            pages = len(pdf.pages)
            pdf.save(_NullWriter(), compress_streams=False)
            damaged = bool(pdf.get_warnings())
    except pikepdf.PasswordError:
        return {"problem": "encrypted"}
    except MemoryError:
        return {"problem": "too_complex"}
    except (pikepdf.PdfError, ValueError, RuntimeError) as error:
        if "bad_alloc" in str(error) or "memory" in str(error).lower():
            return {"problem": "too_complex"}
        return {"problem": "damaged", "detail": str(error)[:200]}
    if damaged:
        return {"problem": "damaged_parts"}
    if pages == 0:
        return {"problem": "no_pages"}
    return {"pages": pages}


def main(path: str, max_bytes: int, seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))
    # CPU seconds: the kernel ends a busy loop even if the parent's wall-clock
    # timeout were lost; the parent's timeout also covers a process that waits.
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    try:
        result = read_through(path)
    except MemoryError:
        result = {"problem": "too_complex"}
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
