// The Go 1.19 runtime's map structures, mirrored field for field so the peer can
// read a live map through unsafe. Sources (Go 1.19.8, /usr/lib/go-1.19/src/runtime):
//
//	map.go   hmap, mapextra, bmap layout, makeBucketArray, incrnoverflow
//	type.go  _type, maptype
//
// acceptVersion says which runtimes these mirrors are trusted for; checkLayout
// verifies them against a live map before any measurement starts.
package main

import (
	"fmt"
	"strings"
	"unsafe"
)

// hmap mirrors runtime.hmap (map.go). A map value is a *hmap.
type hmap struct {
	count      int    // live entries; len(m)
	flags      uint8  // iterator=1, oldIterator=2, hashWriting=4, sameSizeGrow=8
	B          uint8  // log2 of the number of buckets
	noverflow  uint16 // overflow buckets in use: exact while B < 16, sampled 1/2^(B-15) above
	hash0      uint32 // hash seed, re-drawn when a delete empties the map
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer // non-nil exactly while a grow is in progress
	nevacuate  uintptr        // old buckets below this are evacuated
	extra      *mapextra
}

// mapextra mirrors runtime.mapextra. overflow/oldoverflow are kept only for maps
// whose buckets hold no pointers; they then list every overflow bucket in use
// (preallocated or heap-allocated) of the current and the old array.
type mapextra struct {
	overflow     *[]unsafe.Pointer
	oldoverflow  *[]unsafe.Pointer
	nextOverflow unsafe.Pointer // next unused preallocated overflow bucket, or nil
}

// rtype mirrors runtime._type (type.go).
type rtype struct {
	size       uintptr
	ptrdata    uintptr
	hash       uint32
	tflag      uint8
	align      uint8
	fieldAlign uint8
	kind       uint8
	equal      unsafe.Pointer
	gcdata     unsafe.Pointer
	str        int32
	ptrToThis  int32
}

// maptype mirrors runtime.maptype (type.go): hasher at offset 72.
type maptype struct {
	typ        rtype
	key        *rtype
	elem       *rtype
	bucket     *rtype
	hasher     func(unsafe.Pointer, uintptr) uintptr // (ptr to key, seed) -> hash
	keysize    uint8                                 // size of a key slot (8 if indirect)
	elemsize   uint8                                 // size of an elem slot (8 if indirect)
	bucketsize uint16
	flags      uint32 // 1: indirect key, 2: indirect elem, 4: reflexive key, 8: need key update, 16: hash might panic
}

const (
	flagSameSizeGrow = 8
	kindMask         = 1<<5 - 1
	kindMap          = 21 // runtime/typekind.go
	bucketCnt        = 8
	minTopHash       = 5
	indirectKeyFlag  = 1
	indirectElemFlag = 2
)

// roundupsize is the allocator's size-class rounding (runtime/msize.go): what
// mallocgc really hands out for a request of size bytes.
//
//go:linkname roundupsize runtime.roundupsize
func roundupsize(size uintptr) uintptr

// acceptVersion reports whether the mirrors above are known to match runtime v.
// Accepted: "go1.19" and "go1.19.N" (every 1.19 point release keeps hmap, mapextra,
// _type and maptype as in 1.19.8, where these were checked). Everything else is
// refused, including 1.18 and 1.20 to 1.23 whose layouts happen to be the same:
// they were not checked, and from 1.24 on maps are Swiss tables with no hmap.
func acceptVersion(v string) bool {
	if v == "go1.19" {
		return true
	}
	if !strings.HasPrefix(v, "go1.19.") || len(v) == len("go1.19.") {
		return false
	}
	for _, c := range v[len("go1.19."):] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// mapHeader returns the hmap behind a map value.
func mapHeader[K comparable, V any](m map[K]V) *hmap {
	return *(**hmap)(unsafe.Pointer(&m))
}

// mapType returns the runtime's maptype for map[K]V: the type word of the map in
// an interface.
func mapType[K comparable, V any](m map[K]V) *maptype {
	var i any = m
	return (*maptype)((*[2]unsafe.Pointer)(unsafe.Pointer(&i))[0])
}

// hashOf returns the key's hash under the map's own hasher and seed.
func hashOf[K comparable](mt *maptype, h *hmap, k K) uint64 {
	return uint64(mt.hasher(unsafe.Pointer(&k), uintptr(h.hash0)))
}

// checkLayout fails unless the mirrors read a live map[K]V correctly: the field
// offsets are Go 1.19's, the map type says "map" with the key and elem sizes of K
// and V, and every key of a 200-entry map sits in the chain of bucket
// hash & (2^B - 1) with tophash = hash >> 56 (so hasher and hash0 are read right).
func checkLayout[K comparable, V any](mk func(uint64) K, mv func(uint64) V) error {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		return fmt.Errorf("64-bit platforms only")
	}
	one := uint16(1)
	if *(*uint8)(unsafe.Pointer(&one)) != 1 {
		return fmt.Errorf("little-endian platforms only")
	}
	if unsafe.Sizeof(hmap{}) != 48 || unsafe.Offsetof(hmap{}.buckets) != 16 || unsafe.Offsetof(hmap{}.nevacuate) != 32 ||
		unsafe.Sizeof(rtype{}) != 48 || unsafe.Offsetof(maptype{}.hasher) != 72 || unsafe.Sizeof(maptype{}) != 88 {
		return fmt.Errorf("mirror structs do not have Go 1.19's sizes/offsets")
	}
	m := make(map[K]V)
	mt := mapType(m)
	var k K
	var v V
	if mt.typ.kind&kindMask != kindMap || mt.key.size != unsafe.Sizeof(k) || mt.elem.size != unsafe.Sizeof(v) {
		return fmt.Errorf("map type descriptor: kind %d, key size %d (want %d), elem size %d (want %d)",
			mt.typ.kind&kindMask, mt.key.size, unsafe.Sizeof(k), mt.elem.size, unsafe.Sizeof(v))
	}
	const n = 200
	for i := uint64(0); i < n; i++ {
		m[mk(i*0x9e3779b97f4a7c15+1)] = mv(i)
	}
	h := mapHeader(m)
	for h.oldbuckets != nil { // re-assigning an existing key does growWork
		for i := uint64(0); i < n && h.oldbuckets != nil; i++ {
			m[mk(i*0x9e3779b97f4a7c15+1)] = mv(i)
		}
	}
	if h.count != len(m) || h.count != n || h.B != 5 {
		return fmt.Errorf("hmap reads count %d, B %d; want %d, 5", h.count, h.B, len(m))
	}
	bs := uintptr(mt.bucketsize)
	keyOff := uintptr(bucketCnt)
	for i := uint64(0); i < n; i++ {
		key := mk(i*0x9e3779b97f4a7c15 + 1)
		hash := uintptr(hashOf(mt, h, key))
		top := uint8(hash >> 56)
		if top < minTopHash {
			top += minTopHash
		}
		found := false
		for b := unsafe.Add(h.buckets, (hash&(1<<h.B-1))*bs); b != nil && !found; b = *(*unsafe.Pointer)(unsafe.Add(b, bs-8)) {
			for s := uintptr(0); s < bucketCnt; s++ {
				if *(*uint8)(unsafe.Add(b, s)) != top {
					continue
				}
				kp := unsafe.Add(b, keyOff+s*uintptr(mt.keysize))
				if mt.flags&indirectKeyFlag != 0 {
					kp = *(*unsafe.Pointer)(kp)
				}
				if *(*K)(kp) == key {
					found = true
					break
				}
			}
		}
		if !found {
			return fmt.Errorf("key %d not found in the chain its hash names: hasher/hash0/bucket layout misread", i)
		}
	}
	return nil
}

// arrayBuckets returns the buckets makeBucketArray allocates for 2^b: the 2^b
// proper plus, for b >= 4, 2^(b-4) preallocated overflow buckets, rounded up to
// fill the allocation's size class.
func arrayBuckets(mt *maptype, b uint8) uintptr {
	n := uintptr(1) << b
	if b >= 4 {
		n += uintptr(1) << (b - 4)
		sz := mt.bucket.size * n
		if up := roundupsize(sz); up != sz {
			n = up / mt.bucket.size
		}
	}
	return n
}

// arrayBytes returns the heap bytes of a bucket array for 2^b buckets.
func arrayBytes(mt *maptype, b uint8) uint64 {
	return uint64(roundupsize(arrayBuckets(mt, b) * mt.bucket.size))
}
