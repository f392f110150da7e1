package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

// limitFlags are the request and recurrence limits, each positive.
var limitFlags = []string{"--max-body", "--max-xml-depth", "--max-xml-elements", "--max-instances", "--recurrence-horizon"}

// Every limit must be positive; zero and negative values are refused
// with the flag's name.
func TestLimitFlagsMustBePositive(t *testing.T) {
	for _, name := range limitFlags {
		for _, v := range []string{"0", "-1"} {
			_, err := parseConfig([]string{"--http", "1", name, v}, func(string) string { return "" }, io.Discard)
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s %s: error %v, want one naming the flag", name, v, err)
			}
		}
	}
}

// The limits have their documented defaults, can be set from the
// environment, and --help lists them under Limits.
func TestLimitFlags(t *testing.T) {
	c, err := parseConfig([]string{"--http", "1"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.maxXMLElements != 100_000 || c.maxInstances != 10_000 || c.horizonYears != 50 {
		t.Errorf("defaults: elements %d, instances %d, horizon %d", c.maxXMLElements, c.maxInstances, c.horizonYears)
	}
	env := map[string]string{"CALDAV_MAX_XML_ELEMENTS": "500", "CALDAV_MAX_INSTANCES": "300", "CALDAV_RECURRENCE_HORIZON": "5"}
	c, err = parseConfig([]string{"--http", "1"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil || c.maxXMLElements != 500 || c.maxInstances != 300 || c.horizonYears != 5 {
		t.Errorf("from the environment: %+v %v", c, err)
	}
	var help bytes.Buffer
	if _, err := parseConfig([]string{"--help"}, func(string) string { return "" }, &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	limits := help.String()[strings.Index(help.String(), "\nLimits:"):]
	for _, name := range limitFlags {
		if !strings.Contains(limits, name+" ") {
			t.Errorf("--help lists %s outside Limits:\n%s", name, help.String())
		}
	}
}
