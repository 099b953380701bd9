package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"
)

// noDict names "no dictionary".
const noDict uint32 = 0

// dictCurrentKey is the meta key naming the dictionary new pages of a
// language are compressed with; recDictCurrentKey the one of records.
func dictCurrentKey(lang string) []byte    { return []byte("dict_current_" + lang) }
func recDictCurrentKey(lang string) []byte { return []byte("recdict_current_" + lang) }

// Compression of packs. A staged document is compressed once, quickly
// (S2, pack.go), and replaced when its pack is sealed; a pack is
// compressed once for good. Measured on 1 MiB of real pages with a
// dictionary: the default level takes a pack to 0.150 of its size at
// about 200 MB/s in 5 MiB of encoder memory; the "better" level to 0.144
// at a quarter of the speed in twice the memory.
const (
	packLevel = zstd.SpeedDefault
	// packWindow is the zstd window of sealed frames: a page can refer to
	// any earlier byte of its pack and of its dictionary (the language's
	// page dictionary and the pack's records).
	packWindow = 2 << 20
)

// packDictZstdID is the dictionary ID a sealed pack's pages frame names:
// its dictionary is made for the pack (the language's page dictionary
// followed by the pack's records), not stored.
const packDictZstdID = 0x7fff_fff0

// codec compresses and decompresses stored data. Dictionaries are trained
// on the archive's own pages and records and stored, versioned, in the
// dicts bucket; a zstd frame names the dictionary it needs (in its
// header), so old data stays readable after a new dictionary is trained.
type codec struct {
	mu         sync.RWMutex
	dicts      map[uint32][]byte
	current    map[string]uint32 // lang -> page dictionary for new packs
	currentRec map[string]uint32 // lang -> records dictionary
	sealed     frameEncoder      // sealed packs' frames, under packMu
	packMu     sync.Mutex
	gen        uint64        // bumped when a dictionary is added: decoders are rebuilt
	plain      *zstd.Decoder // DecodeAll with every stored dictionary
	streams    []*pooledDecoder
}

type pooledDecoder struct {
	gen uint64
	*zstd.Decoder
}

func newCodec() *codec {
	return &codec{
		dicts:      map[uint32][]byte{},
		current:    map[string]uint32{},
		currentRec: map[string]uint32{},
	}
}

// load reads the dictionaries not known yet and the current ones.
func (c *codec) load(tx *bolt.Tx) error {
	if d := tx.Bucket(bDicts); d != nil {
		cur := d.Cursor()
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			if len(k) != 4 {
				return fmt.Errorf("%w: dictionary key %x", ErrCorrupt, k)
			}
			id := binary.BigEndian.Uint32(k)
			c.mu.RLock()
			_, have := c.dicts[id]
			c.mu.RUnlock()
			if !have {
				if err := c.addDict(id, bytes.Clone(v)); err != nil {
					return err
				}
			}
		}
	}
	if m := tx.Bucket(bMeta); m != nil {
		for _, lang := range langs {
			if v := m.Get(dictCurrentKey(lang)); len(v) == 4 {
				c.setCurrent(lang, binary.BigEndian.Uint32(v), false)
			}
			if v := m.Get(recDictCurrentKey(lang)); len(v) == 4 {
				c.setCurrent(lang, binary.BigEndian.Uint32(v), true)
			}
		}
	}
	if c.plain == nil {
		return c.rebuildPlain()
	}
	return nil
}

func (c *codec) addDict(id uint32, d []byte) error {
	if id == noDict || len(d) < 8 {
		return fmt.Errorf("%w: dictionary %d of %d bytes", ErrCorrupt, id, len(d))
	}
	c.mu.Lock()
	c.dicts[id] = d
	c.gen++
	c.mu.Unlock()
	return c.rebuildPlain()
}

func (c *codec) decoderOptions() []zstd.DOption {
	c.mu.RLock()
	defer c.mu.RUnlock()
	opts := []zstd.DOption{zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true)}
	for id, d := range c.dicts {
		opts = append(opts, zstd.WithDecoderDictRaw(zstdDictID(id), d))
	}
	return opts
}

func (c *codec) rebuildPlain() error {
	// DecodeAll may run in as many goroutines as the decoder's
	// concurrency; it starts no goroutine of its own.
	dec, err := zstd.NewReader(nil, append(c.decoderOptions(), zstd.WithDecoderConcurrency(4))...)
	if err != nil {
		return fmt.Errorf("zstd decoder: %w", err)
	}
	// The previous decoder may be in use by another goroutine: it is not
	// closed.
	c.mu.Lock()
	c.plain = dec
	c.mu.Unlock()
	return nil
}

// zstdDictID is the ID written in zstd frames for dictionary id (the
// private range, above 32767).
func zstdDictID(id uint32) uint32 { return 32768 + id }

// currentDict is the page dictionary of lang (noDict: none yet).
func (c *codec) currentDict(lang string) uint32 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.current[lang]
}

// currentRecDict is the records dictionary of lang.
func (c *codec) currentRecDict(lang string) uint32 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.currentRec[lang]
}

// dict returns the content of dictionary id (nil: none).
func (c *codec) dict(id uint32) []byte {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.dicts[id]
}

// setCurrent makes dictionary id current for lang's pages (or records).
func (c *codec) setCurrent(lang string, id uint32, records bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if records {
		c.currentRec[lang] = id
	} else {
		c.current[lang] = id
	}
}

func (c *codec) hasDict(id uint32) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.dicts[id]
	return ok
}

// frameEncoder is the zstd encoder of sealed frames and the dictionary
// it holds. The encoder indexes a dictionary when it is given one (a
// pack's pages: a new one each time); given the same again (the records
// dictionary, from one record group of a pack to the next), it only
// restores its tables from the index it kept, and a reset right after
// an indexing costs nothing: each frame costs one reset.
type frameEncoder struct {
	enc    *zstd.Encoder
	dictID uint32 // the dictionary held (0: none)
	dict   []byte
	out    bytes.Buffer // the frame written, reused
}

// sealedFrame compresses one frame of a sealed pack (size bytes, written
// by write), as a stream, with raw dictionary dict named id (nil: none),
// and returns it (valid until the next frame; c.packMu is held).
func (c *codec) sealedFrame(id uint32, dict []byte, size int, write func(w io.Writer) error) ([]byte, error) {
	fe := &c.sealed
	fe.out.Reset()
	// A stored dictionary's content never changes; a pack's own is made
	// for each pack.
	same := fe.enc != nil && id != packDictZstdID && fe.dictID == id && len(fe.dict) == len(dict) &&
		(len(dict) == 0 || &fe.dict[0] == &dict[0])
	if !same {
		opt := zstd.WithEncoderDictDelete()
		if dict != nil {
			opt = zstd.WithEncoderDictRaw(id, dict)
		}
		if fe.enc == nil {
			e, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(true), zstd.WithLowerEncoderMem(true),
				zstd.WithEncoderLevel(packLevel), zstd.WithWindowSize(packWindow), opt)
			if err != nil {
				return nil, fmt.Errorf("zstd encoder: %w", err)
			}
			fe.enc = e
		} else if err := fe.enc.ResetWithOptions(&fe.out, opt); err != nil {
			return nil, fmt.Errorf("zstd encoder: %w", err)
		}
		fe.dictID, fe.dict = id, dict
		if dict == nil {
			fe.dictID = 0
		}
	}
	// A reset right after the dictionary was indexed (or restored) has no
	// table to restore: it costs nothing.
	fe.enc.ResetContentSize(&fe.out, int64(size))
	err := write(fe.enc)
	if cerr := fe.enc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return fe.out.Bytes(), nil
}

// decodeAll decompresses a whole frame (checking its checksum) into dst.
func (c *codec) decodeAll(z []byte, dst []byte) ([]byte, error) {
	c.mu.RLock()
	dec := c.plain
	c.mu.RUnlock()
	out, err := dec.DecodeAll(z, dst[:0])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return out, nil
}

// maxStreamDecoders bounds the streaming decoders kept between uses
// (each holds a window's worth of buffers).
const maxStreamDecoders = 4

// streamDecoder returns a streaming decoder knowing every dictionary and,
// when extra is not nil, a pack's own dictionary; put it back with
// putStreamDecoder. Kept decoders keep their buffers: decoding a page of
// one pack after another allocates nothing new.
func (c *codec) streamDecoder(r io.Reader, extra []byte) (*pooledDecoder, error) {
	c.mu.Lock()
	gen := c.gen
	var d *pooledDecoder
	for len(c.streams) > 0 && d == nil {
		d = c.streams[len(c.streams)-1]
		c.streams = c.streams[:len(c.streams)-1]
		if d.gen != gen {
			d = nil
		}
	}
	c.mu.Unlock()
	if d == nil {
		dec, err := zstd.NewReader(nil, c.decoderOptions()...)
		if err != nil {
			return nil, fmt.Errorf("zstd decoder: %w", err)
		}
		d = &pooledDecoder{gen: gen, Decoder: dec}
	}
	var err error
	if extra != nil {
		err = d.ResetWithOptions(r, zstd.WithDecoderDictRaw(packDictZstdID, extra))
	} else {
		err = d.ResetWithOptions(r, zstd.WithDecoderDictDelete(packDictZstdID))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return d, nil
}

func (c *codec) putStreamDecoder(d *pooledDecoder) {
	d.Reset(nil)
	c.mu.Lock()
	if len(c.streams) < maxStreamDecoders && d.gen == c.gen {
		c.streams = append(c.streams, d)
	}
	c.mu.Unlock()
}

// dropStreams lets the kept streaming decoders go (a writer that read
// packs once, to train its dictionaries, does not need their buffers).
func (c *codec) dropStreams() {
	c.mu.Lock()
	c.streams = nil
	c.mu.Unlock()
}

// frameInfo returns the content size (-1 when the frame does not say:
// zstd leaves it out of small frames) and the dictionary a zstd frame
// declares (noDict for none, packDictZstdID for a pack's own).
func frameInfo(z []byte) (size int64, dict uint32, err error) {
	var h zstd.Header
	if err := h.Decode(z); err != nil {
		return 0, 0, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	size = -1
	if h.HasFCS {
		size = int64(h.FrameContentSize)
	}
	switch {
	case h.DictionaryID == packDictZstdID:
		dict = packDictZstdID
	case h.DictionaryID != 0:
		dict = h.DictionaryID - 32768
	}
	return size, dict, nil
}

// ErrCorrupt is returned when stored data cannot be decoded.
var ErrCorrupt = errors.New("damaged archive entry")

// Schema-1 blobs (raw responses and records of archives written before
// packs) start with a 5-byte header: format byte 1 and the big-endian ID
// of the dictionary (0 = none); the rest is one zstd frame. They are read
// while an archive is migrated.
const (
	formatZstdV1 byte = 1
	blobHeaderN       = 5
)

// decodeV1 decompresses a schema-1 blob.
func (c *codec) decodeV1(b []byte) ([]byte, error) {
	if len(b) < blobHeaderN {
		return nil, fmt.Errorf("%w: %d bytes", ErrCorrupt, len(b))
	}
	if b[0] != formatZstdV1 {
		return nil, fmt.Errorf("%w: unknown format %d", ErrCorrupt, b[0])
	}
	if id := binary.BigEndian.Uint32(b[1:5]); id != noDict && !c.hasDict(id) {
		return nil, fmt.Errorf("%w: needs dictionary %d, which the archive does not have", ErrCorrupt, id)
	}
	return c.decodeAll(b[blobHeaderN:], nil)
}

// dictMaxBytes bounds a dictionary's size.
const dictMaxBytes = 128 << 10

// trainDict builds a dictionary from sample pages: raw content made of
// the most typical pages (those nearest the median size), concatenated up
// to dictMaxBytes, the most typical last. Pages of this site share their
// navigation, footer, scripts and markup, so such a dictionary takes a
// page to about a tenth of its size (measured on real pages: 0.10, against
// 0.19 with klauspost/compress's dictionary builder and 0.25 without a
// dictionary), and is faster to apply than a trained one.
func trainDict(samples [][]byte) []byte {
	sizes := make([]int, len(samples))
	for i, p := range samples {
		sizes[i] = len(p)
	}
	var out []byte
	for _, i := range pickTypical(sizes) {
		out = append(out, samples[i]...)
	}
	return out[:min(len(out), dictMaxBytes)]
}

// pickTypical chooses, by their sizes, the samples a dictionary is made
// of, in the order to concatenate them: those nearest the median size,
// up to dictMaxBytes, the median one last (nearest matches); a single
// sample (cut to dictMaxBytes) when none fits.
func pickTypical(sizes []int) []int {
	if len(sizes) == 0 {
		return nil
	}
	bySize := make([]int, len(sizes))
	for i := range bySize {
		bySize[i] = i
	}
	slices.SortStableFunc(bySize, func(a, b int) int { return sizes[a] - sizes[b] })
	mid := len(bySize) / 2
	var picked []int
	size := 0
	for off := 0; mid-off >= 0 || mid+off < len(bySize); off++ {
		for _, i := range []int{mid - off, mid + off} {
			if i < 0 || i >= len(bySize) || (off == 0 && i != mid) {
				continue
			}
			if n := sizes[bySize[i]]; size+n <= dictMaxBytes {
				picked = append(picked, bySize[i])
				size += n
			}
		}
		if size >= dictMaxBytes/2 {
			break
		}
	}
	if len(picked) == 0 {
		picked = append(picked, bySize[mid])
	}
	slices.Reverse(picked)
	return picked
}
