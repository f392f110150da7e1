package main

import (
	"io"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := parseConfig([]string{"--data", "/d", "--admin-password", "p", "--http", "8080"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.dataDir != "/d" || c.adminPassword != "p" || c.httpAddr != ":8080" || c.push != "async" {
		t.Errorf("config %+v", c)
	}
	c, err = parseConfig([]string{"--http", "127.0.0.1:9"}, env(map[string]string{"CALDAV_DATA": "/e", "CALDAV_ADMIN_PASSWORD": "q"}), io.Discard)
	if err != nil || c.dataDir != "/e" || c.adminPassword != "q" || c.httpAddr != "127.0.0.1:9" {
		t.Errorf("environment: %+v %v", c, err)
	}
	c, err = parseConfig([]string{"--data", "/cli", "--http", "1"}, env(map[string]string{"CALDAV_DATA": "/env"}), io.Discard)
	if err != nil || c.dataDir != "/cli" {
		t.Errorf("the command line must win over the environment: %+v %v", c, err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{}, "no listener"},
		{[]string{"--http", "nonsense"}, "--http"},
		{[]string{"--http", "1", "--push", "sometimes"}, "--push"},
		{[]string{"--http", "1", "--trace", "loud"}, "--trace"},
		{[]string{"--http", "1", "--ssh-key", "rsa:abc"}, "ed25519"},
		{[]string{"--http", "1", "--log-format", "xml"}, "--log-format"},
		{[]string{"--http", "1", "extra"}, "unexpected argument"},
		{[]string{"--bogus"}, "bogus"},
	} {
		_, err := parseConfig(c.args, func(string) string { return "" }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.want)
		}
	}
}
