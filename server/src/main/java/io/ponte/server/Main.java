package io.ponte.server; public class Main { public static void main(String[] a){} }
