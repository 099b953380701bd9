package fakesite

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind names a failure mode of the server.
type FaultKind string

// Fault kinds. Those in RandomFaultKinds can be given rates in
// Faults.Rates and forced with ForcePath; the last two only appear in the
// request log.
const (
	FaultNone              FaultKind = ""
	Fault403               FaultKind = "403"                 // one 403 Forbidden (the site's throttle status)
	Fault429               FaultKind = "429"                 // 429 with Retry-After (seconds, HTTP-date or none)
	Fault503               FaultKind = "503"                 // 503 with Retry-After (seconds, HTTP-date or none)
	Fault500               FaultKind = "500"                 // 500 Internal Server Error
	Fault502               FaultKind = "502"                 // 502 Bad Gateway
	FaultReset             FaultKind = "reset"               // connection reset (RST) before any response
	FaultResetAfterHeaders FaultKind = "reset-after-headers" // status line and headers sent, then RST
	FaultHang              FaultKind = "hang"                // no answer until the client gives up (or Delay, then the normal page)
	FaultSlow              FaultKind = "slow"                // headers at once, body trickled over Delay
	FaultTruncate          FaultKind = "truncate"            // Content-Length of the full page, half the body, then close
	FaultChallenge         FaultKind = "challenge"           // 200 with a JavaScript anti-bot interstitial
	FaultEmpty             FaultKind = "empty"               // 200 with an empty body
	FaultWrongPage         FaultKind = "wrong-page"          // 200 with another document's (or listing's) page
	FaultRedirect          FaultKind = "redirect"            // 302 to another host
	FaultOversize          FaultKind = "oversize"            // 200 with a body of Size bytes (the page padded with a comment)
	FaultGzip              FaultKind = "gzip"                // 200 with the page gzip-encoded, although the client did not ask for it
	FaultGzipBomb          FaultKind = "gzip-bomb"           // 200, Content-Encoding: gzip, a small body inflating to Size bytes (unasked)
	FaultRedirectHTTPS     FaultKind = "redirect-https"      // 302 to https:// on the same host and port, where TLS fails

	FaultThrottle FaultKind = "throttle"      // 403 from the burst throttle (log only)
	FaultNoUA     FaultKind = "no-user-agent" // 403 for a request without User-Agent (log only)
)

// RandomFaultKinds lists the kinds Faults.Rates may name, in the fixed
// order in which a request's random draw is matched against the rates.
var RandomFaultKinds = []FaultKind{
	Fault403, Fault429, Fault503, Fault500, Fault502,
	FaultReset, FaultResetAfterHeaders, FaultHang, FaultSlow, FaultTruncate,
	FaultChallenge, FaultEmpty, FaultWrongPage, FaultRedirect, FaultOversize,
	FaultGzip, FaultGzipBomb, FaultRedirectHTTPS,
}

// RetryAfterForm is how a 429/503 states its Retry-After.
type RetryAfterForm int

const (
	RetryAfterSeconds RetryAfterForm = iota // Retry-After: 2
	RetryAfterDate                          // Retry-After: Wed, 21 Oct 2026 07:28:00 GMT
	RetryAfterNone                          // no Retry-After header
)

// String names the form.
func (f RetryAfterForm) String() string {
	switch f {
	case RetryAfterSeconds:
		return "seconds"
	case RetryAfterDate:
		return "http-date"
	case RetryAfterNone:
		return "none"
	}
	return "unknown"
}

// Fault is one concrete failure to inject.
type Fault struct {
	Kind FaultKind
	// RetryAfter and Form apply to 429 and 503. Zero RetryAfter means
	// Faults.RetryAfter.
	RetryAfter time.Duration
	Form       RetryAfterForm
	// Delay: for hang, how long before the normal page is sent anyway
	// (0 = never: wait until the client gives up or the site closes); for
	// slow, the time over which the body is trickled. Zero means the
	// Faults default (HangFor, SlowFor).
	Delay time.Duration
	// Size is the body size of an oversize answer (0 = Faults.OversizeBytes)
	// or what a gzip bomb inflates to (0 = Faults.BombBytes).
	Size int64
}

// Throttle is the site's real throttle signal (SPEC §6.2): after Requests
// requests — all within Window when Window > 0, else since the last block —
// every request gets 403 for BlockFor, or for the next BlockRequests
// requests when that is set. The request that reaches the count is still
// served; the block starts with the next one.
type Throttle struct {
	Requests      int
	Window        time.Duration
	BlockFor      time.Duration
	BlockRequests int
	// Extend restarts a time-based block at every request made during it
	// (a client that does not back off stays blocked).
	Extend bool
	// Once triggers the throttle only the first time the count is reached.
	Once bool
}

// Faults configures random failures. Decisions are a pure function of
// (Seed, path, n) where n counts the requests of that path that reached the
// random-fault stage (throttled, forced and robots requests are not
// counted), so a crawler that makes the same requests sees the same faults.
type Faults struct {
	Seed int64
	// Rates is the probability per request of each kind (see
	// RandomFaultKinds); their sum must not exceed 1.
	Rates map[FaultKind]float64
	// MaxConsecutive bounds the random faults per path: after this many
	// faulted requests in a row the next request of that path succeeds.
	// 0 means 2; a negative value means unbounded.
	MaxConsecutive int
	// Match selects the paths random faults apply to; nil means every
	// path except /robots.txt (see Options.Robots).
	Match func(path string) bool

	RetryAfter    time.Duration // default Retry-After for 429/503 (default 1s)
	HangFor       time.Duration // default Delay of a hang (0: until the client gives up)
	SlowFor       time.Duration // default Delay of a slow answer (default 2s)
	OversizeBytes int64         // default Size of an oversize answer (default 40 MiB)
	BombBytes     int64         // default inflated size of a gzip bomb (default 1 GiB)
	RedirectTo    string        // base URL of the off-host redirect (default http://blocked.kremlin-archive.invalid)

	// Throttle, when set, is the global 403 burst.
	Throttle *Throttle
}

func (f *Faults) maxConsecutive() int {
	if f.MaxConsecutive == 0 {
		return 2
	}
	return f.MaxConsecutive
}

func (f *Faults) retryAfter() time.Duration {
	if f.RetryAfter > 0 {
		return f.RetryAfter
	}
	return time.Second
}

func (f *Faults) slowFor() time.Duration {
	if f.SlowFor > 0 {
		return f.SlowFor
	}
	return 2 * time.Second
}

func (f *Faults) oversize() int64 {
	if f.OversizeBytes > 0 {
		return f.OversizeBytes
	}
	return 40 << 20
}

func (f *Faults) bombBytes() int64 {
	if f.BombBytes > 0 {
		return f.BombBytes
	}
	return 1 << 30
}

func (f *Faults) redirectTo() string {
	if f.RedirectTo != "" {
		return strings.TrimRight(f.RedirectTo, "/")
	}
	return "http://blocked.kremlin-archive.invalid"
}

func (f *Faults) eligible(path string) bool {
	if f.Match != nil {
		return f.Match(path)
	}
	return path != "/robots.txt"
}

// Validate checks the rates.
func (f *Faults) Validate() error {
	sum := 0.0
	known := map[FaultKind]bool{}
	for _, k := range RandomFaultKinds {
		known[k] = true
	}
	for k, r := range f.Rates {
		if !known[k] {
			return fmt.Errorf("fakesite: unknown fault kind %q", k)
		}
		if r < 0 || r > 1 {
			return fmt.Errorf("fakesite: rate of %s must be in [0,1], got %v", k, r)
		}
		sum += r
	}
	if sum > 1+1e-9 {
		return fmt.Errorf("fakesite: fault rates sum to %v > 1", sum)
	}
	if t := f.Throttle; t != nil && t.Requests < 1 {
		return fmt.Errorf("fakesite: throttle needs Requests >= 1")
	}
	return nil
}

// draw is the raw (unbounded) decision for the n-th request of path.
func (f *Faults) draw(path string, n int) Fault {
	if len(f.Rates) == 0 {
		return Fault{}
	}
	h := mix(uint64(f.Seed), hashString(path), uint64(n))
	u := unit(h)
	acc := 0.0
	for _, k := range RandomFaultKinds {
		acc += f.Rates[k]
		if u < acc {
			return Fault{Kind: k, Form: RetryAfterForm(splitmix(h) % 3)}
		}
	}
	return Fault{}
}

// Decide returns the random fault for the n-th (0-based) request of path
// that reaches the random-fault stage, MaxConsecutive applied. It is a pure
// function of (f, path, n); the server's decisions equal it.
func (f *Faults) Decide(path string, n int) Fault {
	var st pathFaultState
	var out Fault
	for i := 0; i <= n; i++ {
		out = st.next(f, path)
	}
	return out
}

// pathFaultState is the incremental form of Decide for one path.
type pathFaultState struct {
	n      int // requests seen
	consec int // faulted requests in a row just before
}

func (st *pathFaultState) next(f *Faults, path string) Fault {
	fl := f.draw(path, st.n)
	st.n++
	if fl.Kind != FaultNone {
		if m := f.maxConsecutive(); m >= 0 && st.consec >= m {
			fl = Fault{}
		}
	}
	if fl.Kind == FaultNone {
		st.consec = 0
	} else {
		st.consec++
	}
	return fl
}

// faultState is the server's mutable fault machinery.
type faultState struct {
	mu     sync.Mutex
	f      Faults
	paths  map[string]*pathFaultState
	forced map[string][]forcedFault

	// throttle
	count        int
	recent       []time.Time
	blockedUntil time.Time
	blockLeft    int
	triggered    bool
	blocks       int
}

type forcedFault struct {
	f     Fault
	times int
}

func newFaultState(f Faults) *faultState {
	return &faultState{f: f, paths: map[string]*pathFaultState{}, forced: map[string][]forcedFault{}}
}

// throttled applies the burst throttle to a request arriving at now.
func (fs *faultState) throttled(now time.Time) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	t := fs.f.Throttle
	if t == nil {
		return false
	}
	if fs.blockLeft > 0 {
		fs.blockLeft--
		return true
	}
	if now.Before(fs.blockedUntil) {
		if t.Extend {
			fs.blockedUntil = now.Add(t.BlockFor)
		}
		return true
	}
	if t.Once && fs.triggered {
		return false
	}
	fire := false
	if t.Window > 0 {
		fs.recent = append(fs.recent, now)
		cut := now.Add(-t.Window)
		i := 0
		for i < len(fs.recent) && !fs.recent[i].After(cut) {
			i++
		}
		fs.recent = fs.recent[i:]
		fire = len(fs.recent) >= t.Requests
	} else {
		fs.count++
		fire = fs.count >= t.Requests
	}
	if fire {
		fs.triggered = true
		fs.blocks++
		fs.count = 0
		fs.recent = nil
		if t.BlockRequests > 0 {
			fs.blockLeft = t.BlockRequests
		} else {
			fs.blockedUntil = now.Add(t.BlockFor)
		}
	}
	return false
}

// takeForced pops a forced fault for path.
func (fs *faultState) takeForced(path string) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	q := fs.forced[path]
	if len(q) == 0 {
		return Fault{}, false
	}
	f := q[0].f
	q[0].times--
	if q[0].times <= 0 {
		q = q[1:]
	}
	if len(q) == 0 {
		delete(fs.forced, path)
	} else {
		fs.forced[path] = q
	}
	return f, true
}

// random returns the next random decision for path.
func (fs *faultState) random(path string) Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if !fs.f.eligible(path) || len(fs.f.Rates) == 0 {
		return Fault{}
	}
	st := fs.paths[path]
	if st == nil {
		st = &pathFaultState{}
		fs.paths[path] = st
	}
	return st.next(&fs.f, path)
}

// ParseFaults reads a fault specification such as
//
//	seed=7,max=2,429=0.02,503=0.01,reset=0.01,hang=0.005,burst=150/60s:30s
//
// Keys: any kind of RandomFaultKinds with a rate; seed; max
// (MaxConsecutive); retry-after, hang-for, slow-for (durations);
// oversize-bytes; bomb-bytes; redirect-to; match (a regular expression
// without commas: the paths random faults apply to); burst=N[/window]:block where block is a
// duration ("30s") or a request count ("20r"); burst-once and burst-extend
// (no value).
func ParseFaults(spec string) (Faults, error) {
	var f Faults
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return f, nil
	}
	known := map[string]bool{}
	for _, k := range RandomFaultKinds {
		known[string(k)] = true
	}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, _ := strings.Cut(part, "=")
		bad := func(err error) (Faults, error) {
			return Faults{}, fmt.Errorf("fakesite: faults %q: %v", part, err)
		}
		var err error
		switch {
		case known[key]:
			var r float64
			if r, err = strconv.ParseFloat(val, 64); err != nil {
				return bad(err)
			}
			if f.Rates == nil {
				f.Rates = map[FaultKind]float64{}
			}
			f.Rates[FaultKind(key)] = r
		case key == "seed":
			if f.Seed, err = strconv.ParseInt(val, 10, 64); err != nil {
				return bad(err)
			}
		case key == "max":
			if f.MaxConsecutive, err = strconv.Atoi(val); err != nil {
				return bad(err)
			}
		case key == "retry-after":
			if f.RetryAfter, err = time.ParseDuration(val); err != nil {
				return bad(err)
			}
		case key == "hang-for":
			if f.HangFor, err = time.ParseDuration(val); err != nil {
				return bad(err)
			}
		case key == "slow-for":
			if f.SlowFor, err = time.ParseDuration(val); err != nil {
				return bad(err)
			}
		case key == "oversize-bytes":
			if f.OversizeBytes, err = strconv.ParseInt(val, 10, 64); err != nil {
				return bad(err)
			}
		case key == "bomb-bytes":
			if f.BombBytes, err = strconv.ParseInt(val, 10, 64); err != nil {
				return bad(err)
			}
		case key == "match":
			re, err := regexp.Compile(val)
			if err != nil {
				return bad(err)
			}
			f.Match = re.MatchString
		case key == "redirect-to":
			f.RedirectTo = val
		case key == "burst":
			t, err := parseBurst(val)
			if err != nil {
				return bad(err)
			}
			if f.Throttle != nil {
				t.Once, t.Extend = f.Throttle.Once, f.Throttle.Extend
			}
			f.Throttle = t
		case key == "burst-once" || key == "burst-extend":
			if f.Throttle == nil {
				f.Throttle = &Throttle{}
			}
			if key == "burst-once" {
				f.Throttle.Once = true
			} else {
				f.Throttle.Extend = true
			}
		default:
			return bad(fmt.Errorf("unknown key %q", key))
		}
	}
	if err := f.Validate(); err != nil {
		return Faults{}, err
	}
	return f, nil
}

func parseBurst(v string) (*Throttle, error) {
	count, block, ok := strings.Cut(v, ":")
	if !ok {
		return nil, fmt.Errorf("burst wants N[/window]:block")
	}
	t := &Throttle{}
	n, window, hasWindow := strings.Cut(count, "/")
	var err error
	if t.Requests, err = strconv.Atoi(n); err != nil {
		return nil, err
	}
	if hasWindow {
		if t.Window, err = time.ParseDuration(window); err != nil {
			return nil, err
		}
	}
	if strings.HasSuffix(block, "r") {
		if t.BlockRequests, err = strconv.Atoi(strings.TrimSuffix(block, "r")); err != nil {
			return nil, err
		}
	} else if t.BlockFor, err = time.ParseDuration(block); err != nil {
		return nil, err
	}
	return t, nil
}

// String renders f in ParseFaults syntax (Match is not representable).
func (f Faults) String() string {
	var parts []string
	if f.Seed != 0 {
		parts = append(parts, "seed="+strconv.FormatInt(f.Seed, 10))
	}
	if f.MaxConsecutive != 0 {
		parts = append(parts, "max="+strconv.Itoa(f.MaxConsecutive))
	}
	var kinds []string
	for k, r := range f.Rates {
		if r > 0 {
			kinds = append(kinds, string(k)+"="+strconv.FormatFloat(r, 'g', -1, 64))
		}
	}
	sort.Strings(kinds)
	parts = append(parts, kinds...)
	if t := f.Throttle; t != nil {
		s := "burst=" + strconv.Itoa(t.Requests)
		if t.Window > 0 {
			s += "/" + t.Window.String()
		}
		if t.BlockRequests > 0 {
			s += ":" + strconv.Itoa(t.BlockRequests) + "r"
		} else {
			s += ":" + t.BlockFor.String()
		}
		parts = append(parts, s)
		if t.Once {
			parts = append(parts, "burst-once")
		}
		if t.Extend {
			parts = append(parts, "burst-extend")
		}
	}
	return strings.Join(parts, ",")
}
