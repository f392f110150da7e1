package webmachine

import (
	"compress/gzip"
	"io"
)

// GzipEncoding returns the gzip content coding, for EncodingsProvided.
func GzipEncoding() Encoding {
	return Encoding{Name: "gzip", Wrap: func(w io.Writer) (io.WriteCloser, error) {
		return gzip.NewWriterLevel(w, gzip.BestSpeed)
	}}
}
