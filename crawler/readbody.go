package crawler

import (
	"errors"
	"io"
)

// readBody reads at most limit bytes of r, like io.ReadAll(io.LimitReader(r,
// limit)), into one buffer of the announced size when size (the
// Content-Length, -1 when unknown) fits the limit: io.ReadAll grows its
// buffer by doubling from 512 bytes, which for a 35 KB page is eight
// allocations and as many copies, ~130 KB of garbage per page.
func readBody(r io.Reader, size, limit int64) ([]byte, error) {
	if size < 0 || size >= limit {
		return io.ReadAll(io.LimitReader(r, limit))
	}
	// One byte more than announced, so that a longer body is seen (and
	// reported by the caller) without a second buffer.
	buf := make([]byte, 0, size+1)
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			if errors.Is(err, io.EOF) {
				return buf, nil
			}
			return buf, err
		}
		if len(buf) == cap(buf) {
			// Longer than announced: read on as io.ReadAll would.
			rest, err := io.ReadAll(io.LimitReader(r, limit-int64(len(buf))))
			return append(buf, rest...), err
		}
	}
}
