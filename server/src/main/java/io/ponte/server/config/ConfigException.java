package io.ponte.server.config;

import java.util.Objects;

/**
 * A configuration error found at start-up. The message always starts with the name of the
 * offending setting (or flag / file key), followed by {@code ": "} and what is wrong, e.g.
 * {@code "http-port: must be an integer between 0 and 65535, got 'abc'"}. Messages never contain
 * the value of a secret setting.
 */
public final class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String setting;

  public ConfigException(String setting, String detail) {
    super(Objects.requireNonNull(setting, "setting") + ": " + detail);
    this.setting = setting;
  }

  public ConfigException(String setting, String detail, Throwable cause) {
    super(Objects.requireNonNull(setting, "setting") + ": " + detail, cause);
    this.setting = setting;
  }

  /** The setting (or unknown flag / file key) the error is about. */
  public String setting() {
    return setting;
  }
}
