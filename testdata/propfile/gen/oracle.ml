(* Differential-test oracle for gocaldav's dav/propfile (see ../README.md).
   oracle hum   : reads s-expressions from stdin, writes each with
                  Sexp.to_string_hum followed by a NUL byte.
   oracle parse : reads all of stdin, parses it with Sexp.of_string (as
                  robur's webdav_fs.ml does) and writes Sexp.to_string_mach
                  of the result, or "ERROR" if it is rejected.
   Build: ocamlfind ocamlopt -package sexplib -linkpkg oracle.ml -o oracle *)
let () =
  match Sys.argv with
  | [| _; "hum" |] ->
    List.iter
      (fun s -> print_string (Sexplib.Sexp.to_string_hum s); print_char '\000')
      (Sexplib.Sexp.input_sexps stdin)
  | [| _; "parse" |] ->
    set_binary_mode_in stdin true;
    let buf = Buffer.create 4096 in
    (try
       while true do Buffer.add_channel buf stdin 1 done
     with End_of_file -> ());
    let data = Buffer.contents buf in
    (match Sexplib.Sexp.of_string data with
     | s -> print_string (Sexplib.Sexp.to_string_mach s)
     | exception _ -> print_string "ERROR")
  | _ -> prerr_endline "usage: oracle hum|parse"; exit 2
