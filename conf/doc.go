// Package conf loads ipband's configuration: the classic ipband.conf syntax
// (one `key value` or `key = value` per line, # comments, case-insensitive
// keys, double-quoted values, repeatable `subnet` lines), its defaults,
// validation with errors that name the file and line, and command-line
// flags applied over the file through the same setters. One table of
// directives (set.go) holds each directive's field and range, used by
// Set, Parse and Validate; Origin says where each value came from.
package conf
