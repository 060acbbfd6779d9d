// go_runtime: the real Go runtime map (Go 1.19's hmap, runtime/map.go) driven by
// rehashlab's operation sequences, as a peer of the C++ maps. peers/README.md is
// the user's guide; this comment is the protocol.
//
// Usage:
//
//	go_runtime run --ops=FILE --out=FILE --key=u64|str16|str64 --value-bytes=8|64|256
//	               --gc=on|off [--rate=R] [--window=W]
//	go_runtime dump-state --ops=FILE --out=FILE [--key=...] [--value-bytes=...]
//	go_runtime lockstep [--key=...] [--value-bytes=...]   ops on stdin, states on stdout
//	go_runtime check [--key=...] [--value-bytes=...] [--show-number=N]
//	               version and layout check only; --show-number prints the key and
//	               value bytes built from N (tests compare them with the C++ side)
//
// Every mode first refuses (exit 3, message on stderr) a runtime whose
// runtime.Version() is not go1.19[.N] (layout.go: acceptVersion) or whose map
// structures do not read back as Go 1.19's (checkLayout). --pretend-version=V
// (tests) makes the check also judge V: it can only add a refusal, never lift one.
// Bad arguments or a malformed ops file: exit 2 and a one-line reason.
//
// Ops file (written by the harness; all integers little-endian):
//
//	magic "RHLGOPS1" | u64 total ops | u64 load ops L | u64 0
//	total records of 17 bytes: kind 'I'|'F'|'E' | u64 key number | u64 value number
//
// The first L ops are the load phase (untimed); the rest are measured.
// Keys and values are built from the numbers as workloads/keys.h make_key and
// maps/types.h make_value do: u64 keys are the number; strN keys are N bytes of
// '0' with the number's 16 lowercase hex digits right-aligned; values of 8 bytes
// are the number, of 64/256 bytes the number's 8 little-endian bytes then zeros.
// Map types: map[uint64]uint64, map[[16]byte]uint64, map[[64]byte]uint64,
// map[uint64][64]byte, map[uint64][256]byte (any key x value pair is accepted).
// Elems over 128 bytes are stored indirectly by Go (a pointer in the bucket, the
// value in its own heap object): that is the real system's behaviour.
//
// run: for each op, untimed: build key/value; open loop: busy-wait until
// t0 + uint64(float64(i) * (1e9/R)) ns (harness/timed_loop.h's formula). Timed with
// runtime.nanotime (the monotonic clock time.Now reads): insert `m[k] = v`, find
// `v, ok := m[k]`, erase `delete(m, k)`. Untimed after each op: the result r
// (insert: 1 if len(m) grew, erase: 1 if it shrank, find: the value's first 8
// bytes or 2^64-1 on a miss) folded into h = (h ^ r) * 0x100000001b3 from
// 0xcbf29ce484222325 over load and measured ops (the harness's checksum), and
// the hmap read through unsafe: a grow starts when the bucket array is replaced,
// a migration ends when the array being evacuated is dropped (both can happen in
// one write). At the end of the load phase and every W measured ops (and after
// the last): a memory sample (the map's structure bytes from hmap; the Go heap's
// "/memory/classes/heap/objects:bytes" and "/gc/cycles/total:gc-cycles" from
// runtime/metrics, which does not stop the world).
// The ops and the per-op results live in anonymous mmap'd memory, outside the Go
// heap, so the garbage collector paces itself on the map alone.
//
// Results file (run), little-endian:
//
//	magic "RHLGORS1"
//	u64 load ops, u64 measured ops n, u64 checksum, u64 flags (1: GC on, 2: open loop)
//	i64 GC percent in effect (-1: off), f64 rate, u64 window, u64 elapsed ns
//	(t0 to the end of the last op), u64 load-phase ns,
//	f64 clock overhead median ns, f64 clock overhead min ns (back-to-back nanotime),
//	f64 metrics read median ns (one memory sample), u64 ns spent sampling in the
//	measured phase, u64 heap objects bytes baseline (after setup, before the load),
//	u64 GC cycles in the load phase, u64 GC cycles in the measured phase,
//	u32 GOMAXPROCS, u32 key slot bytes, u32 elem slot bytes, u32 bucket bytes,
//	u32 maptype flags (1: indirect key, 2: indirect elem),
//	u32 length + runtime.Version() bytes
//	u64 event count, events of 24 bytes: u64 op (global index: < L is the load
//	  phase), u8 kind (1 grow start, 2 migration end), u8 same-size (1) or
//	  doubling (0), u8 B (after), u8 old B, u32 0, u64 count after the op
//	u64 sample count, samples of 56 bytes: u64 measured ops done, u64 count,
//	  u64 map structure bytes, u64 heap objects bytes (absolute), u64 GC cycles
//	  since t0, u8 B, u8 growing, u8 old B, 5 bytes 0, u64 host steal in us
//	  since the previous sample (/proc/stat, all CPUs; 2^64-1: unknown)
//	u64 n, then n x u64 start ns (relative to t0), then n x u32 duration ns
//	  (saturated at 2^32-1)
//	u64 noise every k (0: none), u64 noise count c, c x u32 ns: the noise floor,
//	  an empty timed nanotime() pair after every k-th measured op (untimed part),
//	  so it spans the run's wall time as the harness's own floor does
//	u64 uninstrumented ns (0: not run): with --uninstrumented, the same ops on a
//	  fresh map after the run, the load untimed and the measured ops timed as a
//	  whole (no per-op clock reads, no hmap reads): throughput without the instrument
//
// Dump file (dump-state), little-endian:
//
//	magic "RHLGODS1" | u64 ops | u32 GOMAXPROCS | u32 key slot bytes |
//	u32 elem slot bytes | u32 bucket bytes | u32 maptype flags |
//	u32 length + runtime.Version() bytes
//	per op, 40 bytes: u64 hash of the op's key (the map's hasher, hash0 before the
//	op) | u64 count | u64 nevacuate | u64 r | u32 hash0 before the op |
//	u16 noverflow | u8 B | u8 flags (bit 0 growing, bit 1 same-size grow,
//	bits 2-3 grows started by this op, bits 4-5 migrations ended by this op)
//	(all state after the op).
//
// Lockstep (lockstep): the same without files, one op at a time, so a test can
// choose each op from the state the previous one left (e.g. "churn until a
// same-size grow starts"). stdout first carries the header "RHLGOLS1" and the
// map facts as in the dump file (GOMAXPROCS ... version, no op count); then for
// every 17-byte op record read from stdin, its 40-byte state record, flushed at
// once. EOF on stdin ends the program (exit 0).
package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sort"
	"strconv"
	"syscall"
	"unsafe"
)

//go:linkname nanotime runtime.nanotime
func nanotime() int64

const (
	opsMagic      = "RHLGOPS1"
	resultsMagic  = "RHLGORS2"
	dumpMagic     = "RHLGODS1"
	lockstepMagic = "RHLGOLS1"
	stateRecord   = 40
	opsHeader     = 32
	opRecord      = 17
	findMiss      = ^uint64(0)
	fnvOffset     = 0xcbf29ce484222325
	fnvPrime      = 0x100000001b3
)

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

type refusal struct{ msg string }

func (e refusal) Error() string { return e.msg }

type config struct {
	mode           string
	opsPath        string
	outPath        string
	key            string
	valueBytes     int
	gcOn           bool
	rate           float64
	window         uint64
	noiseEvery     uint64
	uninstrumented bool
	pretendVersion string
	showNumber     string
}

func main() {
	err := mainErr(os.Args[1:])
	if err == nil {
		return
	}
	fmt.Fprintf(os.Stderr, "go_runtime: %v\n", err)
	var u usageError
	var r refusal
	switch {
	case errors.As(err, &r):
		os.Exit(3)
	case errors.As(err, &u):
		os.Exit(2)
	default:
		os.Exit(1)
	}
}

func mainErr(args []string) error {
	if len(args) == 0 {
		return usageError{"usage: go_runtime run|dump-state|lockstep|check --help"}
	}
	cfg := config{mode: args[0]}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.StringVar(&cfg.opsPath, "ops", "", "ops file (see the protocol)")
	fs.StringVar(&cfg.outPath, "out", "", "results / dump file to write")
	fs.StringVar(&cfg.key, "key", "u64", "key type: u64, str16, str64")
	fs.IntVar(&cfg.valueBytes, "value-bytes", 8, "value bytes: 8, 64, 256")
	gc := fs.String("gc", "on", "garbage collector: on (GOGC=100) or off (SetGCPercent(-1))")
	fs.Float64Var(&cfg.rate, "rate", 0, "open loop at this many ops/s (0: closed loop)")
	fs.Uint64Var(&cfg.window, "window", 4096, "measured ops per memory sample")
	fs.Uint64Var(&cfg.noiseEvery, "noise-every", 0, "an empty timed op after every k measured ops (0: none)")
	fs.BoolVar(&cfg.uninstrumented, "uninstrumented", false, "then time the same ops on a fresh map as a whole")
	fs.StringVar(&cfg.pretendVersion, "pretend-version", "", "tests: also judge this version string")
	fs.StringVar(&cfg.showNumber, "show-number", "", "check: print the key and value bytes built from this number")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	switch *gc {
	case "on":
		cfg.gcOn = true
	case "off":
	default:
		return usageError{fmt.Sprintf("--gc=%s: want on or off", *gc)}
	}
	if cfg.rate < 0 || math.IsNaN(cfg.rate) || math.IsInf(cfg.rate, 0) {
		return usageError{"--rate must be a finite number >= 0"}
	}
	if cfg.window == 0 {
		return usageError{"--window must be > 0"}
	}
	for _, v := range []string{runtime.Version(), cfg.pretendVersion} {
		if v != "" && !acceptVersion(v) {
			return refusal{fmt.Sprintf("runtime %s (judged: %s) is not Go 1.19.x: this peer reads Go 1.19's hmap and "+
				"maptype through unsafe and refuses any other runtime (install Debian 12's golang-go 1.19: apt-get install golang-go)",
				runtime.Version(), v)}
		}
	}
	switch cfg.mode {
	case "run", "dump-state":
		if cfg.opsPath == "" || cfg.outPath == "" {
			return usageError{cfg.mode + " needs --ops and --out"}
		}
	case "check", "lockstep":
	default:
		return usageError{fmt.Sprintf("unknown mode %q (run, dump-state, lockstep, check)", cfg.mode)}
	}
	return dispatch(&cfg)
}

// dispatch instantiates the generic driver for the key and value types.
func dispatch(cfg *config) error {
	switch cfg.key {
	case "u64":
		return withValue(cfg, func(n uint64) uint64 { return n })
	case "str16":
		return withValue(cfg, strKey[[16]byte])
	case "str64":
		return withValue(cfg, strKey[[64]byte])
	}
	return usageError{fmt.Sprintf("--key=%s: want u64, str16 or str64", cfg.key)}
}

func withValue[K comparable](cfg *config, mk func(uint64) K) error {
	switch cfg.valueBytes {
	case 8:
		return drive(cfg, mk, func(n uint64) uint64 { return n }, func(v *uint64) uint64 { return *v })
	case 64:
		return drive(cfg, mk, blobValue[[64]byte], blobWord[[64]byte])
	case 256:
		return drive(cfg, mk, blobValue[[256]byte], blobWord[[256]byte])
	}
	return usageError{fmt.Sprintf("--value-bytes=%d: want 8, 64 or 256", cfg.valueBytes)}
}

// strKey is workloads/keys.h make_key for FixedString<N>.
func strKey[A [16]byte | [64]byte](n uint64) A {
	var k A
	b := unsafe.Slice((*byte)(unsafe.Pointer(&k)), len(k))
	for i := range b {
		b[i] = '0'
	}
	const hex = "0123456789abcdef"
	for i := 0; i < 16; i++ {
		b[len(b)-1-i] = hex[(n>>(4*i))&0xf]
	}
	return k
}

// blobValue is maps/types.h Blob<N>::from_u64: 8 little-endian bytes, then zeros.
func blobValue[A [64]byte | [256]byte](n uint64) A {
	var v A
	binary.LittleEndian.PutUint64(unsafe.Slice((*byte)(unsafe.Pointer(&v)), 8), n)
	return v
}

func blobWord[A [64]byte | [256]byte](v *A) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice((*byte)(unsafe.Pointer(v)), 8))
}

func drive[K comparable, V any](cfg *config, mk func(uint64) K, mv func(uint64) V, vw func(*V) uint64) error {
	if err := checkLayout(mk, mv); err != nil {
		return refusal{"map layout check failed on " + runtime.Version() + ": " + err.Error()}
	}
	if cfg.mode == "check" {
		fmt.Printf("%s accepted: hmap/maptype layout verified for map[%s]%dB\n", runtime.Version(), cfg.key, cfg.valueBytes)
		if cfg.showNumber != "" {
			num, err := strconv.ParseUint(cfg.showNumber, 10, 64)
			if err != nil {
				return usageError{"--show-number: " + err.Error()}
			}
			k, v := mk(num), mv(num)
			fmt.Printf("key=%x value=%x\n", unsafe.Slice((*byte)(unsafe.Pointer(&k)), unsafe.Sizeof(k)),
				unsafe.Slice((*byte)(unsafe.Pointer(&v)), unsafe.Sizeof(v)))
		}
		return nil
	}
	if cfg.mode == "lockstep" {
		return lockstep(mk, mv, vw)
	}
	ops, total, load, err := readOps(cfg.opsPath)
	if err != nil {
		return err
	}
	defer syscall.Munmap(ops)
	if cfg.mode == "dump-state" {
		return dumpState(cfg, ops, total, mk, mv, vw)
	}
	return run(cfg, ops, total, load, mk, mv, vw)
}

// mmapAnon returns zeroed, pre-faulted memory outside the Go heap.
func mmapAnon(n int) ([]byte, error) {
	if n == 0 {
		n = 1
	}
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("mmap %d bytes: %v", n, err)
	}
	return b, nil
}

// readOps validates the ops file and copies it into memory outside the Go heap.
func readOps(path string) (ops []byte, total, load int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, usageError{err.Error()}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, 0, usageError{err.Error()}
	}
	bad := func(format string, a ...any) error {
		return usageError{fmt.Sprintf("ops file %s: ", path) + fmt.Sprintf(format, a...)}
	}
	var hdr [opsHeader]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return nil, 0, 0, bad("shorter than its %d-byte header", opsHeader)
	}
	if string(hdr[:8]) != opsMagic {
		return nil, 0, 0, bad("bad magic %q (want %q)", hdr[:8], opsMagic)
	}
	t := binary.LittleEndian.Uint64(hdr[8:])
	l := binary.LittleEndian.Uint64(hdr[16:])
	if t > (1<<62)/opRecord || l > t {
		return nil, 0, 0, bad("header says %d ops, %d of them load", t, l)
	}
	if want := int64(opsHeader + t*opRecord); st.Size() != want {
		return nil, 0, 0, bad("%d bytes, but %d ops need %d", st.Size(), t, want)
	}
	ops, err = mmapAnon(int(t * opRecord))
	if err != nil {
		return nil, 0, 0, err
	}
	if _, err := io.ReadFull(f, ops[:t*opRecord]); err != nil {
		syscall.Munmap(ops)
		return nil, 0, 0, bad("%v", err)
	}
	for i := uint64(0); i < t; i++ {
		switch kind := ops[i*opRecord]; kind {
		case 'I', 'F', 'E':
		default:
			syscall.Munmap(ops)
			return nil, 0, 0, bad("op %d has kind byte 0x%02x (want 'I', 'F' or 'E')", i, kind)
		}
	}
	return ops, int(t), int(l), nil
}

// tracker follows one map's hmap from op to op (untimed).
type tracker struct {
	mt          *maptype
	h           *hmap
	buckets     unsafe.Pointer // after the previous op
	old         unsafe.Pointer
	b           uint8
	preUsed     uintptr // preallocated overflow buckets handed out from the current array
	ovfInUse    uint64  // overflow buckets in use in the current array
	oldPreUsed  uintptr // the same two, frozen when the array became the old one
	oldOvfInUse uint64
	oldB        uint8
	events      []event
}

type event struct {
	op       uint64
	kind     uint8 // 1 grow start, 2 migration end
	sameSize bool
	b, oldB  uint8
	count    uint64
}

// observe compares the hmap with its state after the previous op and returns the
// grows started and migrations ended by op `op`.
func (t *tracker) observe(op uint64) (starts, ends int) {
	h := t.h
	if h.buckets != t.buckets && t.buckets != nil { // the array was replaced: hashGrow
		if t.old != nil && h.oldbuckets != t.old { // finished the previous grow first
			t.events = append(t.events, event{op, 2, t.oldB == t.b, t.b, t.oldB, uint64(h.count)})
			ends++
		}
		t.oldB, t.oldPreUsed, t.oldOvfInUse = t.b, t.preUsed, t.ovfInUse
		t.events = append(t.events, event{op, 1, h.B == t.b, h.B, t.b, uint64(h.count)})
		starts++
		if h.oldbuckets == nil { // a 1- or 2-bucket old array is evacuated by the same write
			t.events = append(t.events, event{op, 2, h.B == t.b, h.B, t.b, uint64(h.count)})
			ends++
		}
	} else if t.old != nil && h.oldbuckets == nil {
		t.events = append(t.events, event{op, 2, t.oldB == h.B, h.B, t.oldB, uint64(h.count)})
		ends++
	}
	t.buckets, t.old, t.b = h.buckets, h.oldbuckets, h.B
	t.preUsed = t.preallocUsed()
	t.ovfInUse = t.overflowInUse()
	return
}

// preallocUsed returns the preallocated overflow buckets already handed out from
// the current array (extra.nextOverflow points at the next free one).
func (t *tracker) preallocUsed() uintptr {
	h := t.h
	if h.buckets == nil {
		return 0
	}
	base := uintptr(1) << h.B
	all := arrayBuckets(t.mt, h.B)
	if all == base {
		return 0
	}
	if h.extra == nil || h.extra.nextOverflow == nil {
		return all - base
	}
	off := uintptr(h.extra.nextOverflow) - uintptr(h.buckets)
	if off < base*uintptr(t.mt.bucketsize) || off >= all*uintptr(t.mt.bucketsize) {
		return all - base // stale pointer into another array: none left here
	}
	return off/uintptr(t.mt.bucketsize) - base
}

// overflowInUse returns the overflow buckets linked into the current array: exact
// (the runtime's own list) for pointer-free buckets, else noverflow, scaled by
// 2^(B-15) above B = 15 where the runtime samples it.
func (t *tracker) overflowInUse() uint64 {
	h := t.h
	if t.mt.bucket.ptrdata == 0 {
		if h.extra == nil || h.extra.overflow == nil {
			return 0
		}
		return uint64(len(*h.extra.overflow))
	}
	if h.B < 16 {
		return uint64(h.noverflow)
	}
	return uint64(h.noverflow) << (h.B - 15)
}

// structureBytes returns the heap bytes the map references: hmap, mapextra, the
// bucket arrays with their preallocated overflow buckets, heap-allocated overflow
// buckets, the overflow lists, and indirectly stored keys/elems.
func (t *tracker) structureBytes() uint64 {
	h, mt := t.h, t.mt
	bucketObj := uint64(roundupsize(mt.bucket.size))
	total := uint64(roundupsize(unsafe.Sizeof(hmap{})))
	if h.extra != nil {
		total += uint64(roundupsize(unsafe.Sizeof(mapextra{})))
		for _, l := range []*[]unsafe.Pointer{h.extra.overflow, h.extra.oldoverflow} {
			if l != nil {
				total += uint64(roundupsize(24)) + uint64(roundupsize(uintptr(cap(*l))*8))
			}
		}
	}
	if h.buckets != nil {
		total += arrayBytes(mt, h.B)
		if t.ovfInUse > uint64(t.preUsed) {
			total += (t.ovfInUse - uint64(t.preUsed)) * bucketObj
		}
	}
	if h.oldbuckets != nil {
		total += arrayBytes(mt, t.oldB)
		ovf := t.oldOvfInUse
		if mt.bucket.ptrdata == 0 && h.extra != nil && h.extra.oldoverflow != nil {
			ovf = uint64(len(*h.extra.oldoverflow))
		}
		if ovf > uint64(t.oldPreUsed) {
			total += (ovf - uint64(t.oldPreUsed)) * bucketObj
		}
	}
	if mt.flags&indirectKeyFlag != 0 {
		total += uint64(h.count) * uint64(roundupsize(mt.key.size))
	}
	if mt.flags&indirectElemFlag != 0 {
		total += uint64(h.count) * uint64(roundupsize(mt.elem.size))
	}
	return total
}

// memProbe reads the Go heap's live-object bytes and completed GC cycles.
type memProbe struct{ s [2]metrics.Sample }

func newMemProbe() *memProbe {
	p := &memProbe{}
	p.s[0].Name = "/memory/classes/heap/objects:bytes"
	p.s[1].Name = "/gc/cycles/total:gc-cycles"
	return p
}

func (p *memProbe) read() (heap, cycles uint64) {
	metrics.Read(p.s[:])
	return p.s[0].Value.Uint64(), p.s[1].Value.Uint64()
}

// clockOverhead returns the median and minimum of back-to-back nanotime() pairs.
func clockOverhead() (median, min float64) {
	const n = 100001
	d := make([]int64, n)
	for i := range d {
		a := nanotime()
		b := nanotime()
		d[i] = b - a
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return float64(d[n/2]), float64(d[0])
}

// metricsCost returns the median cost of one memory sample.
func metricsCost(p *memProbe) float64 {
	const n = 1001
	d := make([]int64, n)
	for i := range d {
		a := nanotime()
		p.read()
		d[i] = nanotime() - a
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return float64(d[n/2])
}

type sample struct {
	opsDone, count, mapBytes, heap, cycles uint64
	b, oldB                                uint8
	growing                                bool
	stealUs                                uint64
}

const stealUnknown = math.MaxUint64

// stealReader reads the host steal time (all CPUs, /proc/stat's first line)
// through one open file, without allocating per read.
type stealReader struct {
	f   *os.File
	buf [512]byte
}

func newStealReader() *stealReader {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return &stealReader{}
	}
	return &stealReader{f: f}
}

// us returns the cumulative steal in microseconds, or stealUnknown.
func (r *stealReader) us() uint64 {
	if r.f == nil {
		return stealUnknown
	}
	n, _ := r.f.ReadAt(r.buf[:], 0)
	line := r.buf[:n]
	if len(line) < 4 || string(line[:4]) != "cpu " {
		return stealUnknown
	}
	// cpu user nice system idle iowait irq softirq steal ...: the 8th number.
	field, v, in := 0, uint64(0), false
	for _, c := range line[4:] {
		if c >= '0' && c <= '9' {
			v = v*10 + uint64(c-'0')
			in = true
			continue
		}
		if in {
			field++
			if field == 8 {
				return v * 10000 // USER_HZ = 100: one tick is 10 ms
			}
			v, in = 0, false
		}
		if c == '\n' {
			break
		}
	}
	return stealUnknown
}

func run[K comparable, V any](cfg *config, ops []byte, total, load int, mk func(uint64) K, mv func(uint64) V, vw func(*V) uint64) error {
	n := total - load
	gcPercent := 100
	if !cfg.gcOn {
		gcPercent = -1
	}
	debug.SetGCPercent(gcPercent)
	out, err := mmapAnon(n*12 + 8)
	if err != nil {
		return err
	}
	defer syscall.Munmap(out)
	starts := unsafe.Slice((*uint64)(unsafe.Pointer(&out[0])), n)
	durs := unsafe.Slice((*uint32)(unsafe.Pointer(&out[n*8])), n)

	probe := newMemProbe()
	ovMedian, ovMin := clockOverhead()
	readCost := metricsCost(probe)

	m := make(map[K]V)
	t := &tracker{mt: mapType(m), h: mapHeader(m)}
	t.events = make([]event, 0, 256)
	samples := make([]sample, 0, uint64(n)/cfg.window+2)
	var noise []uint32
	if cfg.noiseEvery != 0 {
		noise = make([]uint32, 0, uint64(n)/cfg.noiseEvery+1)
	}
	steal := newStealReader()
	runtime.GC()
	baseline, cycles0 := probe.read()

	lastSteal := steal.us()
	take := func(done uint64, c0 uint64) {
		heap, cyc := probe.read()
		s := sample{done, uint64(t.h.count), t.structureBytes(), heap, cyc - c0, t.h.B, 0, t.h.oldbuckets != nil, stealUnknown}
		if s.growing {
			s.oldB = t.oldB
		}
		if now := steal.us(); now != stealUnknown && lastSteal != stealUnknown {
			s.stealUs = now - lastSteal
			lastSteal = now
		} else {
			lastSteal = now
		}
		samples = append(samples, s)
	}

	sum := uint64(fnvOffset)
	loadStart := nanotime()
	for i := 0; i < load; i++ {
		rec := ops[i*opRecord:]
		k := mk(binary.LittleEndian.Uint64(rec[1:]))
		var r uint64
		switch rec[0] {
		case 'I':
			before := len(m)
			m[k] = mv(binary.LittleEndian.Uint64(rec[9:]))
			r = b2u(len(m) != before)
		case 'F':
			if v, ok := m[k]; ok {
				r = vw(&v)
			} else {
				r = findMiss
			}
		case 'E':
			before := len(m)
			delete(m, k)
			r = b2u(len(m) != before)
		}
		sum = (sum ^ r) * fnvPrime
		t.observe(uint64(i))
	}
	loadNs := nanotime() - loadStart
	_, cyclesLoaded := probe.read()
	take(0, cyclesLoaded)

	var sampleNs int64
	interval := 0.0
	if cfg.rate > 0 {
		interval = 1e9 / cfg.rate
	}
	t0 := nanotime()
	e := t0
	for i := 0; i < n; i++ {
		rec := ops[(load+i)*opRecord:]
		kind := rec[0]
		k := mk(binary.LittleEndian.Uint64(rec[1:]))
		var v V
		if kind == 'I' {
			v = mv(binary.LittleEndian.Uint64(rec[9:]))
		}
		before := len(m)
		if interval != 0 {
			sched := t0 + int64(float64(i)*interval)
			for nanotime() < sched {
			}
		}
		var s int64
		var r uint64
		switch kind {
		case 'I':
			s = nanotime()
			m[k] = v
			e = nanotime()
			r = b2u(len(m) != before)
		case 'F':
			s = nanotime()
			got, ok := m[k]
			e = nanotime()
			if ok {
				r = vw(&got)
			} else {
				r = findMiss
			}
		default:
			s = nanotime()
			delete(m, k)
			e = nanotime()
			r = b2u(len(m) != before)
		}
		starts[i] = uint64(s - t0)
		if d := e - s; d < math.MaxUint32 {
			durs[i] = uint32(d)
		} else {
			durs[i] = math.MaxUint32
		}
		sum = (sum ^ r) * fnvPrime
		t.observe(uint64(load + i))
		if cfg.noiseEvery != 0 && uint64(i+1)%cfg.noiseEvery == 0 {
			a := nanotime()
			b := nanotime()
			noise = append(noise, uint32(min64(b-a, math.MaxUint32)))
		}
		if uint64(i+1)%cfg.window == 0 || i+1 == n {
			a := nanotime()
			take(uint64(i+1), cyclesLoaded)
			sampleNs += nanotime() - a
		}
	}
	elapsed := e - t0
	_, cyclesEnd := probe.read()
	runtime.KeepAlive(m)

	w := newWriter()
	w.bytes([]byte(resultsMagic))
	w.u64(uint64(load))
	w.u64(uint64(n))
	w.u64(sum)
	flags := uint64(0)
	if cfg.gcOn {
		flags |= 1
	}
	if interval != 0 {
		flags |= 2
	}
	w.u64(flags)
	w.u64(uint64(int64(gcPercent)))
	w.f64(cfg.rate)
	w.u64(cfg.window)
	w.u64(uint64(elapsed))
	w.u64(uint64(loadNs))
	w.f64(ovMedian)
	w.f64(ovMin)
	w.f64(readCost)
	w.u64(uint64(sampleNs))
	w.u64(baseline)
	w.u64(cyclesLoaded - cycles0)
	w.u64(cyclesEnd - cyclesLoaded)
	w.mapInfo(t.mt)
	w.u64(uint64(len(t.events)))
	for _, ev := range t.events {
		w.u64(ev.op)
		w.bytes([]byte{ev.kind, b2b(ev.sameSize), ev.b, ev.oldB, 0, 0, 0, 0})
		w.u64(ev.count)
	}
	w.u64(uint64(len(samples)))
	for _, s := range samples {
		w.u64(s.opsDone)
		w.u64(s.count)
		w.u64(s.mapBytes)
		w.u64(s.heap)
		w.u64(s.cycles)
		w.bytes([]byte{s.b, b2b(s.growing), s.oldB, 0, 0, 0, 0, 0})
		w.u64(s.stealUs)
	}
	w.u64(uint64(n))
	tail := newWriter()
	tail.u64(cfg.noiseEvery)
	tail.u64(uint64(len(noise)))
	for _, d := range noise {
		tail.u32(d)
	}
	var plainNs int64
	if cfg.uninstrumented {
		m = nil
		runtime.GC()
		plainNs = uninstrumented(ops, load, n, mk, mv, vw)
	}
	tail.u64(uint64(plainNs))
	return w.writeFile(cfg.outPath, out[:n*12], tail.buf)
}

// uninstrumented runs the ops on a fresh map, the load untimed and the n measured
// ops timed as a whole; returns their ns.
func uninstrumented[K comparable, V any](ops []byte, load, n int, mk func(uint64) K, mv func(uint64) V, vw func(*V) uint64) int64 {
	m := make(map[K]V)
	sum := uint64(fnvOffset)
	apply := func(rec []byte) {
		k := mk(binary.LittleEndian.Uint64(rec[1:]))
		switch rec[0] {
		case 'I':
			m[k] = mv(binary.LittleEndian.Uint64(rec[9:]))
		case 'F':
			if v, ok := m[k]; ok {
				sum ^= vw(&v)
			}
		default:
			delete(m, k)
		}
	}
	for i := 0; i < load; i++ {
		apply(ops[i*opRecord:])
	}
	t0 := nanotime()
	for i := 0; i < n; i++ {
		apply(ops[(load+i)*opRecord:])
	}
	elapsed := nanotime() - t0
	runtime.KeepAlive(m)
	if sum == 1 { // keeps the finds' results alive
		fmt.Fprint(io.Discard, sum)
	}
	return elapsed
}

// stepper applies ops to one map and encodes its state after each (dump-state
// and lockstep).
type stepper[K comparable, V any] struct {
	m  map[K]V
	t  *tracker
	i  uint64
	mk func(uint64) K
	mv func(uint64) V
	vw func(*V) uint64
}

func newStepper[K comparable, V any](mk func(uint64) K, mv func(uint64) V, vw func(*V) uint64) *stepper[K, V] {
	m := make(map[K]V)
	return &stepper[K, V]{m: m, t: &tracker{mt: mapType(m), h: mapHeader(m)}, mk: mk, mv: mv, vw: vw}
}

// step applies the 17-byte op record rec and writes the 40-byte state record to o.
func (st *stepper[K, V]) step(rec, o []byte) {
	m, t := st.m, st.t
	k := st.mk(binary.LittleEndian.Uint64(rec[1:]))
	hash0 := t.h.hash0
	hash := hashOf(t.mt, t.h, k)
	before := len(m)
	var r uint64
	switch rec[0] {
	case 'I':
		m[k] = st.mv(binary.LittleEndian.Uint64(rec[9:]))
		r = b2u(len(m) != before)
	case 'F':
		if v, ok := m[k]; ok {
			r = st.vw(&v)
		} else {
			r = findMiss
		}
	case 'E':
		delete(m, k)
		r = b2u(len(m) != before)
	}
	s, e := t.observe(st.i)
	st.i++
	h := t.h
	binary.LittleEndian.PutUint64(o[0:], hash)
	binary.LittleEndian.PutUint64(o[8:], uint64(h.count))
	binary.LittleEndian.PutUint64(o[16:], uint64(h.nevacuate))
	binary.LittleEndian.PutUint64(o[24:], r)
	binary.LittleEndian.PutUint32(o[32:], hash0)
	binary.LittleEndian.PutUint16(o[36:], h.noverflow)
	o[38] = h.B
	o[39] = b2b(h.oldbuckets != nil) | b2b(h.flags&flagSameSizeGrow != 0)<<1 | uint8(s)<<2 | uint8(e)<<4
}

// dumpState runs the ops (no timing) and records, per op, the key's hash and
// the hmap state after it.
func dumpState[K comparable, V any](cfg *config, ops []byte, total int, mk func(uint64) K, mv func(uint64) V, vw func(*V) uint64) error {
	st := newStepper(mk, mv, vw)
	w := newWriter()
	w.bytes([]byte(dumpMagic))
	w.u64(uint64(total))
	w.mapInfo(st.t.mt)
	recs := make([]byte, stateRecord*total)
	for i := 0; i < total; i++ {
		st.step(ops[i*opRecord:], recs[i*stateRecord:])
	}
	runtime.KeepAlive(st.m)
	return w.writeFile(cfg.outPath, recs)
}

// lockstep reads op records from stdin and answers each with its state record on
// stdout at once, so the caller can choose the next op from the map's state.
func lockstep[K comparable, V any](mk func(uint64) K, mv func(uint64) V, vw func(*V) uint64) error {
	st := newStepper(mk, mv, vw)
	w := newWriter()
	w.bytes([]byte(lockstepMagic))
	w.mapInfo(st.t.mt)
	out := bufio.NewWriter(os.Stdout)
	if _, err := out.Write(w.buf); err != nil {
		return err
	}
	in := bufio.NewReader(os.Stdin)
	var rec [opRecord]byte
	var o [stateRecord]byte
	for {
		if err := out.Flush(); err != nil {
			return err
		}
		if _, err := io.ReadFull(in, rec[:]); err == io.EOF {
			runtime.KeepAlive(st.m)
			return nil
		} else if err != nil {
			return usageError{fmt.Sprintf("lockstep: op %d: %v", st.i, err)}
		}
		switch rec[0] {
		case 'I', 'F', 'E':
		default:
			return usageError{fmt.Sprintf("lockstep: op %d has kind byte 0x%02x (want 'I', 'F' or 'E')", st.i, rec[0])}
		}
		st.step(rec[:], o[:])
		if _, err := out.Write(o[:]); err != nil {
			return err
		}
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func b2b(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

type writer struct{ buf []byte }

func newWriter() *writer { return &writer{buf: make([]byte, 0, 1<<16)} }

func (w *writer) bytes(b []byte) { w.buf = append(w.buf, b...) }
func (w *writer) u64(x uint64)   { w.buf = binary.LittleEndian.AppendUint64(w.buf, x) }
func (w *writer) u32(x uint32)   { w.buf = binary.LittleEndian.AppendUint32(w.buf, x) }
func (w *writer) f64(x float64)  { w.u64(math.Float64bits(x)) }

func (w *writer) mapInfo(mt *maptype) {
	w.u32(uint32(runtime.GOMAXPROCS(0)))
	w.u32(uint32(mt.keysize))
	w.u32(uint32(mt.elemsize))
	w.u32(uint32(mt.bucketsize))
	w.u32(mt.flags & (indirectKeyFlag | indirectElemFlag))
	v := runtime.Version()
	w.u32(uint32(len(v)))
	w.bytes([]byte(v))
}

// writeFile writes the buffered header, then the given blocks.
func (w *writer) writeFile(path string, blocks ...[]byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if _, err := bw.Write(w.buf); err != nil {
		f.Close()
		return err
	}
	for _, b := range blocks {
		if _, err := bw.Write(b); err != nil {
			f.Close()
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
