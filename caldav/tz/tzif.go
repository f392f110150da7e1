package tz

import (
	"bytes"
	"encoding/binary"
)

// encodeTZif writes a version-2 TZif blob (RFC 8536) that
// time.LoadLocationFromTZData accepts: an empty version-1 block, then the
// 64-bit block with local time type 0 = the zone before any transition, and
// no footer rule.
func encodeTZif(initial transition, ts []transition) []byte {
	type ttype struct {
		off  int
		dst  bool
		name string
	}
	types := []ttype{{initial.offset, initial.dst, initial.name}}
	index := map[ttype]int{}
	var chars bytes.Buffer
	nameIdx := map[string]int{}
	addName := func(n string) int {
		if i, ok := nameIdx[n]; ok {
			return i
		}
		i := chars.Len()
		chars.WriteString(n)
		chars.WriteByte(0)
		nameIdx[n] = i
		return i
	}
	addName(initial.name)
	idx := make([]byte, len(ts))
	for i, t := range ts {
		k := ttype{t.offset, t.dst, t.name}
		j, ok := index[k]
		if !ok {
			// Type 0 stays reserved for the initial zone, so Go's
			// "first zone unused" rule picks it for early times.
			j = len(types)
			types = append(types, k)
			index[k] = j
			addName(k.name)
		}
		idx[i] = byte(j)
		if len(types) > 255 {
			// More than 255 distinct local time types cannot be encoded;
			// reuse the last slot (only absurd VTIMEZONEs get here).
			types = types[:255]
			idx[i] = 254
		}
	}
	var b bytes.Buffer
	header := func(timecnt, typecnt, charcnt int) {
		b.WriteString("TZif2")
		b.Write(make([]byte, 15))
		for _, n := range []int{0, 0, 0, timecnt, typecnt, charcnt} {
			_ = binary.Write(&b, binary.BigEndian, uint32(n))
		}
	}
	header(0, 0, 0) // empty version-1 block
	header(len(ts), len(types), chars.Len())
	for _, t := range ts {
		_ = binary.Write(&b, binary.BigEndian, t.at)
	}
	b.Write(idx)
	for _, t := range types {
		_ = binary.Write(&b, binary.BigEndian, int32(t.off))
		dst := byte(0)
		if t.dst {
			dst = 1
		}
		b.WriteByte(dst)
		ni := nameIdx[t.name]
		if ni > 255 {
			ni = 0 // designation index is one byte
		}
		b.WriteByte(byte(ni))
	}
	b.Write(chars.Bytes())
	b.WriteString("\n\n")
	return b.Bytes()
}
