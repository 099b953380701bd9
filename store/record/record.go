// Package record defines the archived document record: the export contract
// described in RECORD.md (schema_version 1). It is a leaf package: the parser
// (crawler/kremlin), the store and the exporters all speak this type.
package record

import (
	"encoding/json"
	"maps"
	"reflect"
)

// SchemaVersion is the version of the record shape written by this program.
// A rename or a change of meaning of any field is a new schema version.
const SchemaVersion = 1

// Languages of the two hosts.
const (
	LangEN = "en" // en.kremlin.ru
	LangRU = "ru" // kremlin.ru
)

// Record is one document in one language, as exported (one JSONL line).
//
// Nullable fields are pointers; slices and maps are never nil after
// Normalize, so they marshal as [] and {} rather than null.
type Record struct {
	ID             int64               `json:"id"`
	Lang           string              `json:"lang"`
	URL            string              `json:"url"`
	Title          string              `json:"title"`
	Date           *string             `json:"date"`
	Time           *string             `json:"time"`
	Published      *string             `json:"published"`
	Updated        *string             `json:"updated"`
	Place          *string             `json:"place"`
	Lead           string              `json:"lead"`
	Sections       []string            `json:"sections"`
	Tags           map[string][]string `json:"tags"`
	Text           string              `json:"text"`
	Turns          []Turn              `json:"turns"`
	IsAnnouncement bool                `json:"is_announcement"`

	// TagKeys holds, per tag column of Tags and in the same order, the
	// language-independent catalog key of each tag ("persons/90",
	// "countries/BY", "regions/SEV", "keywords/45"); nil for a tag
	// without a catalog link. English and Russian records of an ID share
	// keys.
	TagKeys map[string][]*string `json:"tag_keys"`

	// Fetch metadata, filled by the crawler (never by the parser).
	FetchedAt string `json:"fetched_at"`
	SourceURL string `json:"source_url"`
	RawSHA256 string `json:"raw_sha256"`
	// Source is where the stored raw copy came from: SourceLive (the site
	// itself) or SourceWayback (a Wayback Machine capture).
	Source string `json:"source"`
	// CapturedAt is when the page was captured (RFC 3339 UTC): FetchedAt
	// for live copies, the capture's timestamp for Wayback copies.
	CapturedAt string `json:"captured_at"`

	ParserVersion int `json:"parser_version"`
	SchemaVersion int `json:"schema_version"`

	// Version is the number of distinct versions of this document kept in
	// the archive (1 for a document never changed after publication). It is
	// set on export; the stored per-version records carry their own number.
	Version int `json:"version,omitempty"`
}

// Sources of a stored raw copy (Record.Source).
const (
	SourceLive    = "live"
	SourceWayback = "wayback"
)

// HeadOfStateKey is the speaker_key of Vladimir Putin, whose events carry
// no persons tag or catalog link of his own (RECORD.md).
const HeadOfStateKey = "head-of-state/putin"

// Turn is one speaker turn of a transcript.
type Turn struct {
	Speaker string `json:"speaker"`
	// SpeakerKey is the speaker as a person, the same in both languages:
	// a catalog key ("persons/90"), HeadOfStateKey, or nil when the label
	// cannot be resolved without guessing.
	SpeakerKey *string `json:"speaker_key"`
	Text       string  `json:"text"`
	Note       string  `json:"note,omitempty"`
}

// Normalize replaces nil slices and maps with empty ones, so the JSON shape
// is the same for every record.
func (r *Record) Normalize() {
	if r.Sections == nil {
		r.Sections = []string{}
	}
	if r.Tags == nil {
		r.Tags = map[string][]string{}
	}
	for k, v := range r.Tags {
		if v == nil {
			r.Tags[k] = []string{}
		}
	}
	if r.Turns == nil {
		r.Turns = []Turn{}
	}
	if r.TagKeys == nil {
		r.TagKeys = map[string][]*string{}
	}
	for k, v := range r.TagKeys {
		if v == nil {
			r.TagKeys[k] = []*string{}
		}
	}
	if r.Source == "" {
		r.Source = SourceLive
	}
	if r.CapturedAt == "" {
		r.CapturedAt = r.FetchedAt
	}
	if r.SchemaVersion == 0 {
		r.SchemaVersion = SchemaVersion
	}
}

// Content returns a copy of r without the fetch and bookkeeping fields
// (fetched_at, source_url, raw_sha256, source, captured_at,
// parser_version, version): what the site said, as opposed to how and
// when we read it. Two fetches of an unchanged page have equal Content.
func (r *Record) Content() Record {
	c := *r
	c.Tags = maps.Clone(r.Tags) // Normalize below must not write into r's map
	c.TagKeys = maps.Clone(r.TagKeys)
	c.FetchedAt, c.SourceURL, c.RawSHA256 = "", "", ""
	c.Source, c.CapturedAt = "", ""
	c.ParserVersion, c.Version = 0, 0
	c.Normalize()
	return c
}

// SameContent reports whether a and b say the same thing (see Content).
func SameContent(a, b *Record) bool {
	ca, cb := a.Content(), b.Content()
	return reflect.DeepEqual(ca, cb)
}

// Marshal encodes r as compact JSON without HTML escaping, the form used
// in the archive and in JSONL exports.
func Marshal(r *Record) ([]byte, error) {
	r.Normalize()
	return marshalNoEscape(r)
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf jsonBuffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := buf.b
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	return b, nil
}

type jsonBuffer struct{ b []byte }

func (j *jsonBuffer) Write(p []byte) (int, error) { j.b = append(j.b, p...); return len(p), nil }

// Str returns a pointer to s, for the nullable string fields.
func Str(s string) *string { return &s }
