<?php
// Test script for LengthRequiredChunked Buffer behind mod_proxy_fcgi: what
// PHP was given (CONTENT_LENGTH, the bytes of php://input and their MD5),
// answered and recorded in the file named by LR_BUFFER_PHP_LOG.
$in = file_get_contents('php://input');
$line = sprintf("%s %s cl=%s len=%d md5=%s",
    $_SERVER['REQUEST_METHOD'] ?? '-', $_SERVER['REQUEST_URI'] ?? '-',
    $_SERVER['CONTENT_LENGTH'] ?? '-', strlen($in), md5($in));
if (!empty($_SERVER['LR_BUFFER_PHP_LOG'])) {
    file_put_contents($_SERVER['LR_BUFFER_PHP_LOG'], "$line\n", FILE_APPEND);
}
header('Content-Type: text/plain');
echo "$line\n";
