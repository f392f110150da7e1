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

// splitCalendar returns one iCalendar object per UID (its components and
// the VTIMEZONEs they use), keyed by a file name made from the UID.
func splitCalendar(raw []byte) (map[string][]byte, error) {
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
	out := make(map[string][]byte, len(groups))
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
		out[objectName(uid)] = icalobj.EncodeBytes(obj)
	}
	return out, nil
}

// objectName makes a safe file name from a UID.
func objectName(uid string) string {
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
	return name + ".ics"
}

// importObjects writes the objects into /calendars/NAME/ in one commit,
// creating the calendar (owned by user) when it is missing.
func importObjects(ctx context.Context, store *gitstore.Store, name, user string, objects map[string][]byte, now time.Time) error {
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
		if !tx.Exists(dav.CalendarsDir + "/" + name + "/.prop") {
			props := account.RoburCalendarProps(now, name, []dav.ACE{dav.OwnerACE(user)})
			if err := dav.WriteCollection(tx, segs, props); err != nil {
				return err
			}
		}
		for file, body := range objects {
			if err := dav.StoreObject(tx, append(segs[:2:2], file), body, "text/calendar; charset=utf-8", now); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}
