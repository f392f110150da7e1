package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// webUI serves a static web UI (an unpacked CalDavZAP) from a directory:
// GET and HEAD only, no directory listings, nothing outside the
// directory, "/" as index.html, and config.js rewritten as it is served
// so the stock CalDavZAP 0.13.1 works unpatched.
type webUI struct {
	dir      string
	language string
}

// open returns the file for a URL path, or nil when it is not a regular
// file below the directory.
func (u webUI) open(urlPath string) (string, os.FileInfo) {
	p := path.Clean("/" + urlPath)
	if p == "/" {
		p = "/index.html"
	}
	full := filepath.Join(u.dir, filepath.FromSlash(p))
	rel, err := filepath.Rel(u.dir, full)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", nil
	}
	st, err := os.Stat(full)
	if err != nil || !st.Mode().IsRegular() {
		return "", nil
	}
	return full, st
}

// has reports whether the UI has a file at urlPath.
func (u webUI) has(urlPath string) bool {
	f, _ := u.open(urlPath)
	return f != ""
}

// ServeHTTP serves one file.
func (u webUI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
		return
	}
	full, st := u.open(r.URL.Path)
	if full == "" {
		http.Error(w, "Not found", http.StatusNotFound)
		return
	}
	data, err := os.ReadFile(full)
	if err != nil {
		http.Error(w, "Not found", http.StatusNotFound)
		return
	}
	modTime := st.ModTime().Truncate(time.Second)
	if filepath.Base(full) == "config.js" {
		// What is served depends on the flags too: validate caches by
		// content, not by the file's time.
		data = rewriteCalDavZAPConfig(data, u.language)
		sum := sha256.Sum256(data)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
		modTime = time.Time{}
	}
	if ct := mime.TypeByExtension(filepath.Ext(full)); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	http.ServeContent(w, r, filepath.Base(full), modTime, bytes.NewReader(data))
}

var (
	// CalDavZAP's default href derives a path from the page's location
	// and appends '/caldav.php/'; the server's principals are at /principals/.
	zapPathExpr = regexp.MustCompile(`location\.pathname\.replace\(RegExp\('[^']*'\),\s*''\)\s*\+\s*'/caldav\.php/'`)
	zapHref     = regexp.MustCompile(`'/caldav\.php/'`)
	zapDelegate = regexp.MustCompile(`delegation:\s*true`)
	safeLang    = regexp.MustCompile(`^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$`)
)

// rewriteCalDavZAPConfig points CalDavZAP's config.js at /principals/,
// turns delegation off (robur's README patch) and sets the interface
// language (robur's --language, which never took effect there).
func rewriteCalDavZAPConfig(js []byte, language string) []byte {
	js = zapPathExpr.ReplaceAll(js, []byte(`'/principals/'`))
	js = zapHref.ReplaceAll(js, []byte(`'/principals/'`))
	js = zapDelegate.ReplaceAll(js, []byte(`delegation: false`))
	if language != "" && safeLang.MatchString(language) {
		js = append(js, []byte("\nvar globalInterfaceLanguage='"+language+"';\n")...)
	}
	return js
}
