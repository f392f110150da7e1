package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/icalobj"
	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/account"
	"github.com/gocaldav/gocaldav/gitstore"
)

// runPasswd is "caldav passwd --data DIR USER": set a user's password
// offline (for a lost root password). The password is read from the
// first line of standard input, or from CALDAV_NEW_PASSWORD.
func runPasswd(args []string) int {
	fs := flag.NewFlagSet("caldav passwd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "./caldav-data", "data directory")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "caldav passwd: usage: caldav passwd --data DIR USER (new password on standard input)")
		return 2
	}
	pw := os.Getenv("CALDAV_NEW_PASSWORD")
	if pw == "" {
		fmt.Fprint(os.Stderr, "new password: ")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			fmt.Fprintln(os.Stderr, "caldav passwd: no password given")
			return 2
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if pw == "" {
		fmt.Fprintln(os.Stderr, "caldav passwd: the password is empty")
		return 2
	}
	ctx := context.Background()
	store, err := gitstore.Open(ctx, *data, gitstore.Options{Logger: quietLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "caldav passwd:", err)
		return 1
	}
	defer store.Close()
	if err := account.New(store, account.Options{Logger: quietLogger()}).SetPassword(ctx, fs.Arg(0), pw); err != nil {
		fmt.Fprintln(os.Stderr, "caldav passwd:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "password of %s set\n", fs.Arg(0))
	return 0
}

// quietLogger logs warnings and errors only, for the offline tools.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// runImport is "caldav import --data DIR --calendar NAME --user USER
// FILE.ics": split a calendar export into one object per UID, with the
// time zones each uses, into /calendars/NAME/ (created, owned by USER,
// when missing), in one commit. It works on the data directory while the
// server is stopped.
func runImport(args []string) int {
	fs := flag.NewFlagSet("caldav import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "./caldav-data", "data directory")
	cal := fs.String("calendar", "", "calendar name (/calendars/NAME/)")
	user := fs.String("user", "", "owner of the calendar and author of the commit")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 || *cal == "" || *user == "" {
		fmt.Fprintln(os.Stderr, "caldav import: usage: caldav import --data DIR --calendar NAME --user USER FILE.ics")
		return 2
	}
	raw, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "caldav import:", err)
		return 1
	}
	objects, err := splitCalendar(raw)
	if err != nil {
		fmt.Fprintln(os.Stderr, "caldav import:", err)
		return 1
	}
	ctx := context.Background()
	store, err := gitstore.Open(ctx, *data, gitstore.Options{Logger: quietLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "caldav import:", err)
		return 1
	}
	defer store.Close()
	if err := importObjects(ctx, store, *cal, *user, objects, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "caldav import:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "imported %d objects into /calendars/%s/\n", len(objects), *cal)
	return 0
}

// importObject is one object of an import.
type importObject struct {
	uid  string
	file string // name made from the UID
	body []byte
}

// splitCalendar returns one iCalendar object per UID (its components and
// the VTIMEZONEs they use), named after the UID, in the order of the
// export. Every object must pass the checks of a PUT.
func splitCalendar(raw []byte) ([]importObject, error) {
	cal, err := icalobj.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("reading the calendar: %w", err)
	}
	zones := map[string]*ical.Component{}
	groups := map[string][]*ical.Component{}
	var order []string
	for _, c := range cal.Children {
		switch c.Name {
		case ical.CompTimezone:
			if id, err := c.Props.Text(ical.PropTimezoneID); err == nil {
				zones[id] = c
			}
		case ical.CompEvent, ical.CompToDo, ical.CompJournal:
			uid, err := c.Props.Text(ical.PropUID)
			if err != nil || uid == "" {
				return nil, fmt.Errorf("a %s has no UID", c.Name)
			}
			if _, seen := groups[uid]; !seen {
				order = append(order, uid)
			}
			groups[uid] = append(groups[uid], c)
		}
	}
	out := make([]importObject, 0, len(groups))
	taken := map[string]bool{}
	for _, uid := range order {
		obj := ical.NewCalendar()
		obj.Props.SetText(ical.PropVersion, "2.0")
		obj.Props.SetText(ical.PropProductID, "-//gocaldav//import//EN")
		used := map[string]bool{}
		for _, c := range groups[uid] {
			for _, props := range c.Props {
				for _, p := range props {
					if tz := p.Params.Get(ical.ParamTimezoneID); tz != "" {
						used[tz] = true
					}
				}
			}
		}
		ids := make([]string, 0, len(used))
		for id := range used {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			if z, ok := zones[id]; ok {
				obj.Children = append(obj.Children, z)
			}
		}
		obj.Children = append(obj.Children, groups[uid]...)
		body := icalobj.EncodeBytes(obj)
		// Each object must be one a client could PUT.
		if _, err := icalobj.Validate(body, icalobj.Rules{}); err != nil {
			return nil, fmt.Errorf("the object with UID %s: %w", uid, err)
		}
		// Distinct UIDs may make the same name ("a/b", "a_b").
		file := objectName(uid, "")
		for i := 2; taken[file]; i++ {
			file = objectName(uid, fmt.Sprintf("-%d", i))
		}
		taken[file] = true
		out = append(out, importObject{uid: uid, file: file, body: body})
	}
	return out, nil
}

// objectUIDs maps the UID of each object in a calendar directory to its
// file name, so an import updates an object in place instead of adding a
// second one with the same UID (RFC 4791 no-uid-conflict).
func objectUIDs(tx *gitstore.Txn, dir string) (map[string]string, error) {
	entries, err := tx.List(dir)
	if err != nil {
		return nil, err
	}
	uids := map[string]string{}
	for _, e := range entries {
		if e.Dir || !strings.HasSuffix(e.Name, ".ics") {
			continue
		}
		data, err := tx.Read(e.Path)
		if err != nil {
			return nil, err
		}
		cal, err := icalobj.Parse(data)
		if err != nil {
			continue // not ours to judge; it keeps its name
		}
		for _, c := range cal.Children {
			if uid, err := c.Props.Text(ical.PropUID); err == nil && uid != "" {
				uids[uid] = e.Name
			}
		}
	}
	return uids, nil
}

// objectName makes a safe file name from a UID, with suffix before .ics.
func objectName(uid, suffix string) string {
	var b strings.Builder
	for _, r := range uid {
		if r < 0x80 && (r == '-' || r == '_' || r == '.' || r == '@' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	name := b.String()
	if len(name) > 200 {
		name = name[:200]
	}
	return name + suffix + ".ics"
}

// importObjects writes the objects into /calendars/NAME/ in one commit,
// creating the calendar (owned by user) when it is missing.
func importObjects(ctx context.Context, store *gitstore.Store, name, user string, objects []importObject, now time.Time) error {
	if !account.ValidName(name) {
		return fmt.Errorf("%q is not a valid calendar name", name)
	}
	commit := gitstore.Commit{AuthorName: user + " (via caldav import)", AuthorEmail: "caldav@localhost",
		Message:  fmt.Sprintf("import %d objects into /calendars/%s/", len(objects), name),
		Trailers: []gitstore.Trailer{{Key: "Remote-User", Value: user}}}
	_, err := store.Batch(ctx, commit, func(tx *gitstore.Txn) error {
		if !tx.Exists(dav.PrincipalsDir + "/" + user + "/.prop") {
			return fmt.Errorf("no user %s", user)
		}
		segs := []string{dav.CalendarsDir, name}
		existing := map[string]string{}
		if !tx.Exists(dav.CalendarsDir + "/" + name + "/.prop") {
			props := account.RoburCalendarProps(now, name, []dav.ACE{dav.OwnerACE(user)})
			if err := dav.WriteCollection(tx, segs, props); err != nil {
				return err
			}
		} else {
			var err error
			if existing, err = objectUIDs(tx, dav.CalendarsDir+"/"+name); err != nil {
				return err
			}
		}
		for _, obj := range objects {
			file := obj.file
			if f, ok := existing[obj.uid]; ok {
				file = f
			}
			if err := dav.StoreObject(tx, append(segs[:2:2], file), obj.body, "text/calendar; charset=utf-8", now); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}
