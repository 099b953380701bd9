package store

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Raw is one HTTP response exactly as received: the status, the headers
// and the body bytes before any decoding (no gunzip, no charset
// conversion, no truncation).
type Raw struct {
	URL       string    // the URL actually fetched
	FetchedAt time.Time // when the response was complete
	Proto     string    // "HTTP/1.1"
	Status    int
	Header    http.Header
	Body      []byte
}

// SHA256 is the hex SHA-256 of the body.
func (r *Raw) SHA256() string {
	s := sha256.Sum256(r.Body)
	return hex.EncodeToString(s[:])
}

// Head renders the status line and headers as an HTTP/1.x response head,
// ending with the blank line. Header names are sorted so the same
// response always gives the same bytes.
func (r *Raw) Head() []byte {
	var b bytes.Buffer
	proto := r.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	text := http.StatusText(r.Status)
	if text == "" {
		text = "status code " + strconv.Itoa(r.Status)
	}
	fmt.Fprintf(&b, "%s %03d %s\r\n", proto, r.Status, text)
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range r.Header[k] {
			v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// parseHead reads a stored response head (as Head renders it) into
// status and headers. URL, FetchedAt and Body are not part of it.
func parseHead(head []byte) (*Raw, error) {
	if !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		return nil, fmt.Errorf("%w: raw response without header end", ErrCorrupt)
	}
	br := bufio.NewReader(bytes.NewReader(head))
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("%w: raw status line: %v", ErrCorrupt, err)
	}
	proto, rest, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
	code, _, _ := strings.Cut(rest, " ")
	status, err := strconv.Atoi(code)
	if err != nil {
		return nil, fmt.Errorf("%w: raw status line %q", ErrCorrupt, line)
	}
	h := http.Header{}
	for {
		l, err := br.ReadString('\n')
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			break
		}
		k, v, ok := strings.Cut(l, ": ")
		if ok {
			h[k] = append(h[k], v)
		}
		if err != nil {
			break
		}
	}
	return &Raw{Proto: proto, Status: status, Header: h}, nil
}
