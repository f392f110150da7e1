(* Generates the .prop fixtures of gocaldav's dav/propfile tests with the
   real sexplib printer and ppx_sexp_conv encodings.

   The types below have the same definitions (and therefore the same
   derived s-expression encodings) as robur's Webdav_xml.tree and
   Properties.property_list; the map, the ACE encoding and the property
   sets are rebuilt from robur's properties.ml, webdav_xml.ml,
   webdav_config.ml and webdav_api.ml (see ../README.md for which code
   path each fixture follows).

   Build and run (Debian: ocaml-nox ocaml-findlib libsexplib-ocaml-dev
   libppx-sexp-conv-ocaml-dev):
     ocamlfind ocamlopt -package sexplib,ppx_sexp_conv -linkpkg gen.ml -o gen
     ./gen ..                                                             *)

open Sexplib.Conv

type namespace = string [@@deriving sexp]
type name = string [@@deriving sexp]
type fqname = namespace * name [@@deriving sexp]
type attribute = fqname * string [@@deriving sexp]

type tree =
  | Pcdata of string
  | Node of namespace * name * attribute list * tree list
[@@deriving sexp]

type property = attribute list * tree list [@@deriving sexp]
type property_list = ((string * string) * property) list [@@deriving sexp]

module PairMap = Map.Make (struct
  type t = string * string
  let compare (a1, a2) (b1, b2) =
    match String.compare a1 b1 with 0 -> String.compare a2 b2 | x -> x
end)

let dav = "DAV:"
let caldav = "urn:ietf:params:xml:ns:caldav"
let robur = "io:robur:webdav"
let xmlns = "http://www.w3.org/2000/xmlns/"

let node ?(ns = "") ?(a = []) n children = Node (ns, n, a, children)
let dnode = node ~ns:dav
let text s = Pcdata s
let href u = dnode "href" [ text u ]

(* robur's ACE storage form *)
let principal = function
  | `All -> dnode "principal" [ dnode "all" [] ]
  | `Authenticated -> dnode "principal" [ dnode "authenticated" [] ]
  | `Href u -> dnode "principal" [ href u ]

let ace (who, what) =
  let what =
    match what with
    | `Grant ps -> dnode "grant" [ dnode "privilege" (List.map (fun p -> dnode p []) ps) ]
    | `Deny ps -> dnode "deny" [ dnode "privilege" (List.map (fun p -> dnode p []) ps) ]
    | `Inherited u -> dnode "inherited" [ href u ]
  in
  dnode "ace" [ principal who; what ]

let add k v m = PairMap.add k v m

(* Properties.create, with the prop_version as a parameter *)
let create ?(version = "2") ?(lastmodified = true) ?(initial_props = [])
    ?(content_type = "text/html") ?(resourcetype = []) acl ts length filename =
  let m =
    PairMap.empty
    |> add (dav, "resourcetype") ([], resourcetype)
    |> (fun m -> if lastmodified then add (dav, "getlastmodified") ([], [ text ts ]) m else m)
    |> add (dav, "getcontentlength") ([], [ text (string_of_int length) ])
    |> add (dav, "getcontenttype") ([], [ text content_type ])
    |> add (dav, "getcontentlanguage") ([], [ text "en" ])
    |> add (dav, "displayname") ([], [ text filename ])
    |> add (dav, "creationdate") ([], [ text ts ])
    |> add (dav, "acl") ([], List.map ace acl)
    |> add (robur, "prop_version") ([], [ text version ])
  in
  List.fold_left (fun m (k, v) -> add k v m) m initial_props

let create_dir ?version ?lastmodified ?initial_props ?(resourcetype = []) acl ts name =
  create ?version ?lastmodified ?initial_props ~content_type:"text/directory"
    ~resourcetype:(dnode "collection" [] :: resourcetype) acl ts 0 name

let write dir file m =
  let bindings = PairMap.bindings m in
  let data = Sexplib.Sexp.to_string_hum (sexp_of_property_list bindings) in
  let oc = open_out_bin (Filename.concat dir file) in
  output_string oc data;
  close_out oc

let root = `Href "/principals/root/"
let alice = `Href "/principals/alice/"
let staff = `Href "/principals/staff/"
let t0 = "2018-04-12T10:00:00-00:00"
let t1 = "2020-02-03T17:25:41-00:00"
let t2 = "2024-11-05T08:09:10-00:00"

(* Webdav_config.admin_acl; unsafe_read_acl returns it reversed *)
let admin_acl = [ (root, `Grant [ "all" ]); (`All, `Grant [ "read" ]) ]
let calendars_acl = [ (root, `Grant [ "all" ]); (`All, `Grant [ "read"; "bind"; "unbind" ]) ]

(* webdav_api.ml create_calendar *)
let calendar_props =
  let report (ns, s) = dnode "supported-report" [ dnode "report" [ node ~ns s [] ] ] in
  let comp s = node ~ns:caldav ~a:[ (("", "name"), s) ] "comp" [] in
  [ ((dav, "supported-report-set"),
     ([], List.map report [ (caldav, "calendar-query"); (caldav, "calendar-multiget") ]));
    ((caldav, "supported-calendar-component-set"),
     ([], List.map comp [ "VEVENT"; "VTODO"; "VTIMEZONE"; "VFREEBUSY" ])) ]

let timezone =
  String.concat "\r\n"
    [ "BEGIN:VCALENDAR"; "VERSION:2.0"; "PRODID:-//Example Corp.//CalDAV Client//EN";
      "BEGIN:VTIMEZONE"; "TZID:Europe/Berlin"; "BEGIN:DAYLIGHT"; "TZOFFSETFROM:+0100";
      "TZOFFSETTO:+0200"; "TZNAME:CEST"; "DTSTART:19700329T020000";
      "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"; "END:DAYLIGHT"; "END:VTIMEZONE";
      "END:VCALENDAR"; "" ]

let () =
  let dir = if Array.length Sys.argv > 1 then Sys.argv.(1) else "." in
  (* initialize_fs: /principals/, then root sets default_groups by PROPPATCH *)
  write dir "principals.prop"
    (create_dir
       ~initial_props:[ ((robur, "default_groups"), ([], [ href "/principals/staff/" ])) ]
       admin_acl t0 "principals");
  write dir "calendars.prop" (create_dir calendars_acl t0 "calendars");
  (* make_user alice: make_principal with calendar-home-set, password, salt,
     group-membership, principal-URL *)
  write dir "principal-alice.prop"
    (create_dir
       ~initial_props:
         [ ((dav, "principal-URL"), ([], [ href "/principals/alice/" ]));
           ((caldav, "calendar-home-set"), ([], [ href "/calendars/" ]));
           ((robur, "password"), ([], [ text "q3G0hD+OUGzRxl5kk9yvwP/tEpg0kQ2uXUw3VMYcL5o=" ]));
           ((robur, "salt"), ([], [ text "3hJ0rS8pXn2mV+yA1bQw" ]));
           ((dav, "group-membership"), ([], [ href "/principals/staff/" ])) ]
       ~resourcetype:[ dnode "principal" [] ]
       ((alice, `Grant [ "all" ]) :: List.rev admin_acl) t1 "alice");
  (* make_group staff with members alice and bob *)
  write dir "principal-staff.prop"
    (create_dir
       ~initial_props:
         [ ((dav, "principal-URL"), ([], [ href "/principals/staff/" ]));
           ((dav, "group-member-set"),
            ([], [ href "/principals/alice/"; href "/principals/bob/" ])) ]
       ~resourcetype:[ dnode "principal" [] ]
       ((staff, `Grant [ "all" ]) :: List.rev admin_acl) t1 "staff");
  (* make_principal's create_calendar for alice *)
  write dir "calendar-alice.prop"
    (create_dir ~initial_props:calendar_props
       ~resourcetype:[ node ~ns:caldav "calendar" [] ]
       [ (alice, `Grant [ "all" ]) ] t1 "alice");
  (* MKCALENDAR /calendars/alice/arbeit/ with displayname, description and
     timezone, then PROPPATCH of DAV:acl *)
  write dir "calendar-acl.prop"
    (create_dir
       ~initial_props:
         [ ((dav, "displayname"), ([], [ text "Arbeit f\195\188r J\195\188rgen \226\128\147 \230\151\165\230\156\172" ]));
           ((caldav, "calendar-description"),
            ([], [ text "Shared calendar of the staff group.\nMeetings go here; holidays do not." ]));
           ((caldav, "calendar-timezone"), ([], [ text timezone ]));
           ((dav, "acl"),
            ([], List.map ace
                   [ (alice, `Grant [ "all" ]);
                     (staff, `Grant [ "read"; "write-content"; "read-current-user-privilege-set" ]);
                     (`Authenticated, `Deny [ "write-acl" ]);
                     (`All, `Grant [ "read" ]);
                     (`All, `Inherited "/calendars/alice/") ])) ]
       ~resourcetype:[ node ~ns:caldav "calendar" [] ]
       [ (alice, `Grant [ "all" ]) ] t2 "/calendars/alice/arbeit/");
  (* PUT /calendars/alice/arbeit/meeting.ics *)
  write dir "event.prop"
    (create ~content_type:"text/calendar; charset=utf-8"
       [ (`All, `Inherited "/calendars/alice/arbeit/") ] t2 1517
       "/calendars/alice/arbeit/meeting.ics");
  (* PROPPATCH of dead properties on an event *)
  let z = "http://ns.example.com/standards/z39.50/" in
  write dir "dead-property.prop"
    (create
       ~initial_props:
         [ ((z, "Authors"),
            ([ ((xmlns, "Z"), z) ],
             [ node ~ns:z ~a:[ (("", "role"), "editor"); ((z, "lang"), "de") ] "Author"
                 [ text "Jim Whitehead" ];
               node ~ns:z "Author"
                 [ node ~ns:z "name" [ text "Roy Fielding" ];
                   node ~ns:z "affiliation" ~a:[ ((xmlns, "xmlns"), "urn:x-example:org") ]
                     [ node ~ns:"urn:x-example:org" "org" [ text "UC Irvine (\"UCI\")" ] ] ] ]));
           ((z, "Copyright-Owner"), ([], [ text "Ben Bitdiddle; \\ back\tslash" ]));
           (("", "plain"), ([], [ node "empty" []; text "" ])) ]
       ~content_type:"text/calendar"
       [ (`All, `Inherited "/calendars/alice/") ] t2 842 "/calendars/alice/dead.ics");
  (* written by robur between Jan 2020 (prop_version 1) and the next commit *)
  write dir "version1.prop"
    (create ~version:"1" ~lastmodified:false ~content_type:"text/calendar"
       [ (`All, `Inherited "/calendars/alice/") ] t0 420 "/calendars/alice/old.ics");
  write dir "version0-dir.prop"
    (create_dir ~version:"0" ~lastmodified:false [ (alice, `Grant [ "all" ]) ] t0 "old")
