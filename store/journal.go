package store

// The group journal: what makes a group commit (group.go) lose nothing
// when the process is killed.
//
// Each document stored into a pending group is also written (write(2),
// no fsync) to <db>.journal: the kernel keeps it when the process dies,
// so after a SIGKILL the next writer finds every stored document of the
// last group there and stores them again, in their order, before
// anything else; a killed run refetches only the request it had in
// flight. A power loss may also lose the journal's last writes: those
// documents were never committed, are still in the frontier (their
// removal is in the same transaction), and are fetched again.
//
// The journal belongs to one group: its header names the group's epoch,
// a number the archive's meta bucket advances in every group's
// transaction, and a random tag of the group's own. A journal whose
// epoch is not the committed epoch + 1 was committed (or is older): it
// is ignored. Records are checksummed and carry the tag, so that a torn
// write, or the records of another group left beyond this one's end (a
// longer group before it, or one rolled back that had the same epoch),
// stop the replay.
//
//	header: "KAJRNL1\n" | epoch u64 | tag u64 | crc32c(magic|epoch|tag) u32
//	record: len u32 | crc32c(tag|payload) u32 | tag u64 | payload
//	payload: meta length u32 | meta (JSON) | staged entry

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

var (
	journalMagic = []byte("KAJRNL1\n")
	kGroupEpoch  = []byte("group_epoch")
)

const (
	journalHeaderLen = 8 + 8 + 8 + 4
	journalRecHead   = 4 + 4 + 8
	// maxJournal bounds what a replay reads (a group holds at most
	// groupBytes of staged entries, and a few rare large pages).
	maxJournal = 256 << 20
)

func journalPath(db string) string { return db + ".journal" }

// journalMeta is what a journal record holds besides the staged entry
// (which has the record, the response head and the body).
type journalMeta struct {
	Run           uint64    `json:"run,omitempty"`
	URL           string    `json:"url"`
	FetchedAt     time.Time `json:"fetched_at"`
	Size          int       `json:"size"`
	ListedIn      []string  `json:"listed_in,omitempty"`
	ListedUpdated string    `json:"listed_updated,omitempty"`
	Pending       *Pending  `json:"pending,omitempty"`
}

type journal struct {
	f   *os.File
	tag uint64 // of the group written
	off int64
	buf []byte
	// keep: a replay failed; the journal stays for the next writer.
	keep bool
}

// begin starts the journal of the group of epoch.
func (j *journal) begin(epoch uint64) error {
	tag := rand.Uint64() | 1
	h := make([]byte, 0, journalHeaderLen)
	h = append(h, journalMagic...)
	h = binary.BigEndian.AppendUint64(h, epoch)
	h = binary.BigEndian.AppendUint64(h, tag)
	h = binary.BigEndian.AppendUint32(h, crc32.Checksum(h, castagnoli))
	if _, err := j.f.WriteAt(h, 0); err != nil {
		j.tag = 0
		return err
	}
	j.tag, j.off = tag, journalHeaderLen
	return nil
}

// invalidate makes the journal hold no group (its group was rolled
// back, or its commit failed). The tags already keep its records from
// passing for the next group's, which has the same epoch.
func (j *journal) invalidate() {
	if j != nil && j.f != nil {
		j.f.WriteAt(make([]byte, journalHeaderLen), 0)
		j.tag = 0
	}
}

// append writes p, stored in the group, to the journal.
func (j *journal) append(p *docPut) error {
	f := p.f
	meta, err := json.Marshal(journalMeta{Run: p.runID, URL: f.Raw.URL, FetchedAt: f.Raw.FetchedAt, Size: p.size,
		ListedIn: f.ListedIn, ListedUpdated: f.ListedUpdated, Pending: f.Pending})
	if err != nil {
		return err
	}
	n := 8 + 4 + len(meta) + len(p.blob)
	b := j.buf[:0]
	b = binary.BigEndian.AppendUint32(b, uint32(n)) // tag and payload
	b = binary.BigEndian.AppendUint32(b, 0)         // the CRC, below
	b = binary.BigEndian.AppendUint64(b, j.tag)
	b = binary.BigEndian.AppendUint32(b, uint32(len(meta)))
	b = append(b, meta...)
	b = append(b, p.blob...)
	binary.BigEndian.PutUint32(b[4:], crc32.Checksum(b[8:], castagnoli))
	if cap(b) <= 1<<20 {
		j.buf = b
	}
	if _, err := j.f.WriteAt(b, j.off); err != nil {
		return err
	}
	j.off += int64(len(b))
	return nil
}

// readJournal returns the epoch of the journal in data and the records
// of its group, up to the first that is torn or of another group.
func readJournal(data []byte) (epoch uint64, recs [][]byte) {
	if len(data) < journalHeaderLen || !bytes.Equal(data[:8], journalMagic) ||
		crc32.Checksum(data[:24], castagnoli) != binary.BigEndian.Uint32(data[24:28]) {
		return 0, nil
	}
	epoch = binary.BigEndian.Uint64(data[8:16])
	tag := binary.BigEndian.Uint64(data[16:24])
	for rest := data[journalHeaderLen:]; len(rest) >= journalRecHead; {
		n := int(binary.BigEndian.Uint32(rest))
		if n < 8 || len(rest) < 8+n {
			break
		}
		body := rest[8 : 8+n]
		if crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(rest[4:]) || binary.BigEndian.Uint64(body) != tag {
			break
		}
		recs = append(recs, body[8:])
		rest = rest[8+n:]
	}
	return epoch, recs
}

// decodeJournalRecord rebuilds the document a journal record holds.
func (db *DB) decodeJournalRecord(rec []byte) (*docPut, error) {
	if len(rec) < 4 {
		return nil, fmt.Errorf("%w: journal record of %d bytes", ErrCorrupt, len(rec))
	}
	n := int(binary.BigEndian.Uint32(rec))
	if len(rec) < 4+n {
		return nil, fmt.Errorf("%w: journal record: meta of %d bytes in %d", ErrCorrupt, n, len(rec))
	}
	var m journalMeta
	if err := json.Unmarshal(rec[4:4+n], &m); err != nil {
		return nil, fmt.Errorf("%w: journal record: %v", ErrCorrupt, err)
	}
	blob := bytes.Clone(rec[4+n:])
	pc, err := db.codec.decodePack(blob, true)
	if err != nil {
		return nil, fmt.Errorf("journal record: %w", err)
	}
	if len(pc.entries) != 1 {
		return nil, fmt.Errorf("%w: journal record with %d entries", ErrCorrupt, len(pc.entries))
	}
	recJSON := bytes.Clone(pc.record(0))
	var r record.Record
	if err := json.Unmarshal(recJSON, &r); err != nil {
		return nil, fmt.Errorf("%w: journal record: %v", ErrCorrupt, err)
	}
	f := &Fetched{
		Raw:    &Raw{URL: m.URL, FetchedAt: m.FetchedAt, Body: bytes.Clone(pc.body(0))},
		Record: &r, ListedIn: m.ListedIn, ListedUpdated: m.ListedUpdated, Pending: m.Pending,
	}
	return newDocPut(f, m.Run, recJSON, blob, m.Size)
}

// openJournal opens a writer's journal and stores again the documents
// of a group that a killed process did not commit. It runs before
// anything else writes to the archive.
func (db *DB) openJournal() error {
	f, err := os.OpenFile(journalPath(db.path), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open the group journal: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxJournal))
	if err != nil {
		f.Close()
		return fmt.Errorf("read the group journal %s: %w", f.Name(), err)
	}
	db.group.j = &journal{f: f}
	epoch, recs := readJournal(data)
	if epoch == 0 || len(recs) == 0 {
		return nil
	}
	// Whatever stops Open from here on, the journal stays, until its
	// documents are stored (or known to be).
	db.group.j.keep = true
	var committed uint64
	if err := db.view(func(tx *bolt.Tx) error {
		committed = getU64(tx.Bucket(bMeta), kGroupEpoch)
		return nil
	}); err != nil {
		return err
	}
	if epoch != committed+1 {
		db.group.j.keep = false
		return nil // committed: nothing to do
	}
	// Store them the way they were stored, in one group of this epoch
	// that leaves the journal as it is (see group.begin), so that a
	// crash during the replay leaves the journal whole; the seals and
	// dictionaries (which read, and so commit) come after.
	// A replay that fails is rolled back whole, and the journal is put
	// back as it was, for another try.
	puts := make([]*docPut, len(recs))
	for i, r := range recs {
		if puts[i], err = db.decodeJournalRecord(r); err != nil {
			return fmt.Errorf("the group journal %s: %w (move it away to open the archive without it; its documents are fetched again)", f.Name(), err)
		}
	}
	fail := func(err error) error {
		g := &db.group
		g.mu.Lock()
		g.rollback()
		if _, werr := g.j.f.WriteAt(data, 0); werr != nil {
			err = errors.Join(err, fmt.Errorf("put the group journal back: %w", werr))
		}
		g.mu.Unlock()
		return err
	}
	db.group.replaying = true
	defer func() { db.group.replaying = false }()
	stored := map[string]bool{} // languages with a new version
	for i, p := range puts {
		if err := db.updateDoc(func(tx *bolt.Tx) error {
			outcome, _, err := db.putTx(tx, p)
			if outcome.stored() {
				stored[p.f.Record.Lang] = true
			}
			return err
		}, p); err != nil {
			return fail(fmt.Errorf("store again %s/%d from the group journal %s: %w", p.f.Record.Lang, p.f.Record.ID, f.Name(), err))
		}
		if replayed != nil {
			replayed(i)
		}
	}
	if err := db.Flush(); err != nil {
		return fail(err)
	}
	db.group.j.keep = false
	for _, lang := range langs {
		if stored[lang] {
			if err := db.afterPut(lang, OutcomeNew, true); err != nil {
				return err
			}
		}
	}
	db.log().Info("stored again the documents a killed run had stored but not committed", "db", db.path, "documents", len(recs))
	return nil
}

// replayed, when a test sets it, is called after the replay has stored
// the journal's i-th document (before the group commits).
var replayed func(i int)

// closeJournal closes the journal and, with remove, removes it (the
// archive is closed, every group committed), unless a replay failed.
func (db *DB) closeJournal(remove bool) error {
	j := db.group.j
	if j == nil {
		return nil
	}
	db.group.j = nil
	err := j.f.Close()
	if remove && !j.keep {
		if rerr := os.Remove(j.f.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	return err
}
