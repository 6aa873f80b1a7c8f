package io.ponte.server.config;

import java.util.Locale;

/**
 * One row of the settings table: name, type, default and description. The CLI flag is
 * {@code --name}, the environment variable {@code PONTE_NAME} (upper-cased, '-' to '_'), the
 * properties-file key {@code name}.
 */
final class Setting<T> {

  final int index;
  final String name;
  final ValueType<T> type;
  /** Default value; {@code null} for optional settings that are not set by default. */
  final T defaultValue;
  /** How the default is documented in help (for generated values, e.g. node-id). */
  final String defaultText;
  final String description;
  /** Secret settings are shown only as "(set)" / "(not set)" and never echoed in errors. */
  final boolean secret;

  Setting(
      int index,
      String name,
      ValueType<T> type,
      T defaultValue,
      String defaultText,
      String description,
      boolean secret) {
    this.index = index;
    this.name = name;
    this.type = type;
    this.defaultValue = defaultValue;
    this.defaultText = defaultText;
    this.description = description;
    this.secret = secret;
  }

  String flag() {
    return "--" + name;
  }

  String envVar() {
    return envVarFor(name);
  }

  static String envVarFor(String name) {
    return "PONTE_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /** Parses text from a source; the {@code origin} (e.g. "--http-port") is added to errors. */
  T parse(String text, String origin) {
    try {
      return type.parse(text.strip());
    } catch (ValueType.Invalid e) {
      throw new ConfigException(
          name, e.getMessage() + (origin == null ? "" : " (from " + origin + ")"));
    }
  }

  /** Validates a typed value (from the builder or a source). */
  T check(Object value) {
    @SuppressWarnings("unchecked")
    T typed = (T) value;
    try {
      return type.check(typed);
    } catch (ValueType.Invalid e) {
      throw new ConfigException(name, e.getMessage());
    } catch (ClassCastException e) {
      throw new ConfigException(name, "has the wrong type: " + value.getClass().getSimpleName());
    }
  }

  /** The value as shown by describe(): secrets masked, unset as "(not set)". */
  String describe(Object value) {
    boolean unset = value == null || (value instanceof java.util.Collection<?> c && c.isEmpty());
    if (secret) {
      return unset ? "(not set)" : "(set)";
    }
    if (unset) {
      return "(not set)";
    }
    @SuppressWarnings("unchecked")
    T typed = (T) value;
    return type.format(typed);
  }
}
