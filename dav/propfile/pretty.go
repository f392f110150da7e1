package propfile

import (
	"strings"
	"sync"
)

// This file holds a small re-implementation of the parts of OCaml's Format
// pretty-printing engine that sexplib's to_string_hum drives: compacting
// "box" blocks (Format.pp_open_box), text, space break hints
// (pp_print_space), forced newlines (pp_force_newline) and the final flush.
// The engine works like Oppen's algorithm as implemented in
// stdlib/format.ml: tokens are queued until the size of the enclosing block
// or break is known (or the pending material no longer fits on the line),
// and line-splitting decisions are made when a token leaves the queue.
//
// Only the features reachable from sexplib are implemented, with the
// geometry of a fresh formatter (margin 78, max indent 68, no box limit).

const (
	ppMargin       = 78
	ppMinSpaceLeft = 10
	ppMaxIndent    = ppMargin - ppMinSpaceLeft
	// ppInfinity is the size given to tokens whose size is still unknown
	// when they must be printed (format.ml's pp_infinity).
	ppInfinity = 1000000010
)

type ppTokenKind int

const (
	tokText    ppTokenKind = iota // literal text
	tokBegin                      // opening of a block
	tokEnd                        // closing of a block
	tokBreak                      // break hint: one space or a newline
	tokNewline                    // forced newline inside the current block
)

// ppBoxKind is the behaviour of an open block on the format stack.
type ppBoxKind int

const (
	boxHOV  ppBoxKind = iota // the system block: pack as much as fits
	boxBox                   // Format's "box": like HOV, but also breaks when that moves left
	boxFits                  // the whole block fits on the line: never break
)

type ppToken struct {
	kind   ppTokenKind
	text   string    // tokText
	indent int       // tokBegin: offset of continuation lines; tokBreak: offset when broken
	box    ppBoxKind // tokBegin
	width  int       // tokBreak: spaces printed when not broken
}

// ppElem is a queued token. size is negative while unknown.
type ppElem struct {
	size   int
	tok    ppToken
	length int
}

type ppScanElem struct {
	leftTotal int
	elem      *ppElem
}

type ppFormatElem struct {
	box   ppBoxKind
	width int
}

// prettyPrinter is one fresh formatter writing into a strings.Builder.
type prettyPrinter struct {
	out strings.Builder

	queue     []*ppElem
	scan      []ppScanElem
	format    []ppFormatElem
	spaceLeft int
	curIndent int
	newLine   bool
	leftTotal int
	rightTot  int
	depth     int
	// Queued elements are handed out from blocks (the queue and the scan
	// stack point into them), which a pooled printer reuses.
	blocks [][]ppElem
	block  int // index of the block in use
}

// ppArenaBlock is how many elements a block holds.
const ppArenaBlock = 64

// newElem returns a pointer to a copy of e that stays valid until the
// printer is reset.
func (p *prettyPrinter) newElem(e ppElem) *ppElem {
	b := p.blocks[p.block]
	if len(b) == cap(b) {
		p.block++
		if p.block == len(p.blocks) {
			p.blocks = append(p.blocks, make([]ppElem, 0, ppArenaBlock))
		}
		b = p.blocks[p.block][:0]
	}
	b = append(b, e)
	p.blocks[p.block] = b
	return &b[len(b)-1]
}

var printers = sync.Pool{New: func() any {
	return &prettyPrinter{blocks: [][]ppElem{make([]ppElem, 0, ppArenaBlock)}}
}}

// newPrettyPrinter returns a fresh formatter; release it after flush.
func newPrettyPrinter() *prettyPrinter {
	p := printers.Get().(*prettyPrinter)
	for i := range p.blocks {
		clear(p.blocks[i])
		p.blocks[i] = p.blocks[i][:0]
	}
	*p = prettyPrinter{
		queue:     p.queue[:0],
		scan:      p.scan[:0],
		format:    p.format[:0],
		blocks:    p.blocks,
		spaceLeft: ppMargin,
		newLine:   true,
		leftTotal: 1,
		rightTot:  1,
		depth:     1,
	}
	sys := p.newElem(ppElem{size: -1, tok: ppToken{kind: tokBegin, box: boxHOV}})
	p.queue = append(p.queue, sys)
	p.resetScan()
	p.scan = append(p.scan, ppScanElem{leftTotal: 1, elem: sys})
	return p
}

// resetScan empties the scan stack, leaving only its sentinel.
func (p *prettyPrinter) resetScan() {
	p.scan = p.scan[:0]
	p.scan = append(p.scan, ppScanElem{leftTotal: -1, elem: p.newElem(ppElem{size: -1, tok: ppToken{kind: tokText}})})
}

func (p *prettyPrinter) enqueue(e *ppElem) {
	p.rightTot += e.length
	p.queue = append(p.queue, e)
}

// advance prints queued tokens whose size is known, or all of them once the
// pending material is wider than the space left on the line.
func (p *prettyPrinter) advance() {
	for len(p.queue) > 0 {
		e := p.queue[0]
		pending := p.rightTot - p.leftTotal
		if e.size < 0 && pending < p.spaceLeft {
			return
		}
		p.queue = p.queue[1:]
		size := e.size
		if size < 0 {
			size = ppInfinity
		}
		p.formatToken(size, e.tok)
		p.leftTotal += e.length
	}
}

func (p *prettyPrinter) text(s string) {
	p.spaceLeft -= len(s)
	p.out.WriteString(s)
	p.newLine = false
}

func (p *prettyPrinter) breakNewLine(offset, width int) {
	p.out.WriteByte('\n')
	p.newLine = true
	indent := min(ppMargin-width+offset, ppMaxIndent)
	p.curIndent = indent
	p.spaceLeft = ppMargin - indent
	p.spaces(indent)
}

func (p *prettyPrinter) breakSameLine(width int) {
	p.spaceLeft -= width
	p.spaces(width)
}

// spaces writes n spaces (none when n is negative).
func (p *prettyPrinter) spaces(n int) {
	for ; n > 0; n-- {
		p.out.WriteByte(' ')
	}
}

func (p *prettyPrinter) top() (ppFormatElem, bool) {
	if len(p.format) == 0 {
		return ppFormatElem{}, false
	}
	return p.format[len(p.format)-1], true
}

func (p *prettyPrinter) formatToken(size int, tok ppToken) {
	switch tok.kind {
	case tokText:
		p.text(tok.text)
	case tokBegin:
		if ppMargin-p.spaceLeft > ppMaxIndent {
			// A block cannot start this far right: reject it to the left
			// by breaking the enclosing block.
			if top, ok := p.top(); !ok {
				p.out.WriteByte('\n')
			} else if top.width > p.spaceLeft && top.box != boxFits {
				p.breakNewLine(0, top.width)
			}
		}
		box := tok.box
		if size <= p.spaceLeft {
			box = boxFits
		}
		p.format = append(p.format, ppFormatElem{box: box, width: p.spaceLeft - tok.indent})
	case tokEnd:
		if len(p.format) > 0 {
			p.format = p.format[:len(p.format)-1]
		}
	case tokNewline:
		if top, ok := p.top(); ok {
			p.breakNewLine(0, top.width)
		} else {
			p.out.WriteByte('\n')
		}
	case tokBreak:
		top, ok := p.top()
		if !ok {
			return
		}
		switch top.box {
		case boxFits:
			p.breakSameLine(tok.width)
		case boxHOV:
			if size > p.spaceLeft {
				p.breakNewLine(tok.indent, top.width)
			} else {
				p.breakSameLine(tok.width)
			}
		case boxBox:
			switch {
			case p.newLine:
				p.breakSameLine(tok.width)
			case size > p.spaceLeft:
				p.breakNewLine(tok.indent, top.width)
			case p.curIndent > ppMargin-top.width+tok.indent:
				p.breakNewLine(tok.indent, top.width)
			default:
				p.breakSameLine(tok.width)
			}
		}
	}
}

// setSize records the size of the break (isBreak) or block on top of the
// scan stack now that the material following it has been queued.
func (p *prettyPrinter) setSize(isBreak bool) {
	top := p.scan[len(p.scan)-1]
	if top.leftTotal < p.leftTotal {
		p.resetScan()
		return
	}
	switch top.elem.tok.kind {
	case tokBreak:
		if isBreak {
			top.elem.size = p.rightTot + top.elem.size
			p.scan = p.scan[:len(p.scan)-1]
		}
	case tokBegin:
		if !isBreak {
			top.elem.size = p.rightTot + top.elem.size
			p.scan = p.scan[:len(p.scan)-1]
		}
	}
}

func (p *prettyPrinter) scanPush(setBreak bool, e *ppElem) {
	p.enqueue(e)
	if setBreak {
		p.setSize(true)
	}
	p.scan = append(p.scan, ppScanElem{leftTotal: p.rightTot, elem: e})
}

// openBox is Format.pp_open_box: a compacting block whose continuation
// lines are indented by indent relative to the block's start column.
func (p *prettyPrinter) openBox(indent int) {
	p.depth++
	p.scanPush(false, p.newElem(ppElem{size: -p.rightTot, tok: ppToken{kind: tokBegin, indent: indent, box: boxBox}}))
}

// closeBox is Format.pp_close_box.
func (p *prettyPrinter) closeBox() {
	if p.depth <= 1 {
		return
	}
	p.enqueue(p.newElem(ppElem{size: 0, tok: ppToken{kind: tokEnd}}))
	p.setSize(true)
	p.setSize(false)
	p.depth--
}

// printString is Format.pp_print_string; s must not contain newlines.
func (p *prettyPrinter) printString(s string) {
	p.enqueue(p.newElem(ppElem{size: len(s), tok: ppToken{kind: tokText, text: s}, length: len(s)}))
	p.advance()
}

// printSpace is Format.pp_print_space: a break hint of width 1, offset 0.
func (p *prettyPrinter) printSpace() {
	p.scanPush(true, p.newElem(ppElem{size: -p.rightTot, tok: ppToken{kind: tokBreak, width: 1}, length: 1}))
}

// forceNewline is Format.pp_force_newline.
func (p *prettyPrinter) forceNewline() {
	p.enqueue(p.newElem(ppElem{size: 0, tok: ppToken{kind: tokNewline}}))
	p.advance()
}

// flush is Format.pp_print_flush: close all blocks and print everything.
func (p *prettyPrinter) flush() string {
	for p.depth > 1 {
		p.closeBox()
	}
	p.rightTot = ppInfinity
	p.advance()
	return p.out.String()
}

// release returns the printer to the pool (its output, already taken by
// flush, is not touched again).
func (p *prettyPrinter) release() { printers.Put(p) }
