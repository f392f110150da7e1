package query

import (
	"testing"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/caldav/recur"
)

// FuzzFilter parses arbitrary filter XML and matches what parses against
// the Appendix B objects: no panic, no hang, errors typed.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		filterXML(`<C:comp-filter name="VEVENT"><C:time-range start="20060104T000000Z" end="20060105T000000Z"/></C:comp-filter>`),
		filterXML(`<C:comp-filter name="VTODO"><C:comp-filter name="VALARM"><C:time-range start="20060106T100000Z" end="20060107T100000Z"/></C:comp-filter></C:comp-filter>`),
		filterXML(`<C:comp-filter name="VEVENT"><C:prop-filter name="ATTENDEE"><C:text-match collation="i;ascii-casemap">mailto:lisa@example.com</C:text-match><C:param-filter name="PARTSTAT"><C:text-match>NEEDS-ACTION</C:text-match></C:param-filter></C:prop-filter></C:comp-filter>`),
		filterXML(`<C:comp-filter name="VTODO"><C:prop-filter name="COMPLETED"><C:is-not-defined/></C:prop-filter><C:prop-filter name="STATUS"><C:text-match negate-condition="yes">CANCELLED</C:text-match></C:prop-filter></C:comp-filter>`),
		filterXML(`<C:comp-filter name="VFREEBUSY"><C:time-range end="20060103T000000Z"/></C:comp-filter>`),
		filterXML(`<C:comp-filter name="VEVENT"><C:prop-filter name="DTSTART"><C:time-range start="20060102T000000Z"/></C:prop-filter></C:comp-filter>`),
	} {
		f.Add(s)
	}
	objs := appendixB(f)
	f.Fuzz(func(t *testing.T, s string) {
		doc := etree.NewDocument()
		if err := doc.ReadFromString(s); err != nil || doc.Root() == nil {
			return
		}
		flt, err := ParseFilter(doc.Root())
		if err != nil {
			if _, ok := AsError(err); !ok {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, cal := range objs {
			_, _ = flt.Match(NewObject(cal), Options{Limits: recur.Limits{MaxSteps: 10000}})
		}
	})
}
