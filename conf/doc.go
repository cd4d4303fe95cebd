// Package conf loads ipband's configuration: the classic ipband.conf syntax
// (one `key value` per line, # comments, case-insensitive keys, repeatable
// `subnet` lines) read with gopkg.in/ini.v1, its defaults, validation with
// errors that name the file and line, and command-line flags applied over
// the file through the same setters.
package conf
