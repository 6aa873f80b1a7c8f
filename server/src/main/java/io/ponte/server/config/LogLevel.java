package io.ponte.server.config;

import java.util.Locale;

/** Log verbosity; written and parsed in lower case ({@code info}), case-insensitively. */
public enum LogLevel {
  ERROR,
  WARN,
  INFO,
  DEBUG,
  TRACE;

  /** The lower-case name used in configuration, e.g. {@code "info"}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
