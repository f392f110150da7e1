package icalobj

import "github.com/emersion/go-ical"

// Builder writes iCalendar text piece by piece, folding lines as Encode
// does. It serves callers that write many similar components from parts
// encoded once (the instances of an expansion): they write the parts
// with Write and only what differs line by line.
type Builder struct {
	e encoder
}

// NewBuilder returns a Builder whose buffer starts with room for size
// bytes.
func NewBuilder(size int) *Builder {
	return &Builder{e: encoder{out: make([]byte, 0, size)}}
}

// Begin writes the BEGIN line of a component called name.
func (b *Builder) Begin(name string) {
	b.e.writeLine(append(append(b.e.line[:0], "BEGIN:"...), name...))
}

// End writes the END line of a component called name.
func (b *Builder) End(name string) {
	b.e.writeLine(append(append(b.e.line[:0], "END:"...), name...))
}

// Props writes one content line per property of props.
func (b *Builder) Props(props []ical.Prop) {
	for i := range props {
		b.Prop(&props[i])
	}
}

// Prop writes the content line of p.
func (b *Builder) Prop(p *ical.Prop) {
	b.e.writeLine(b.e.propLine(p))
}

// Write appends text that is already encoded: whole, folded lines.
func (b *Builder) Write(text []byte) {
	b.e.out = append(b.e.out, text...)
}

// Comp writes c and its subcomponents as Encode does.
func (b *Builder) Comp(c *ical.Component) {
	b.e.comp(c)
}

// Line writes the content line that build appends to the (empty) slice
// it is given, folded.
func (b *Builder) Line(build func(line []byte) []byte) {
	b.e.writeLine(build(b.e.line[:0]))
}

// Len is the number of bytes written so far.
func (b *Builder) Len() int { return len(b.e.out) }

// Bytes returns the text written so far; it stays valid until the next
// write.
func (b *Builder) Bytes() []byte { return b.e.out }
