<?php
// Test script: a multipart/form-data upload as PHP parsed it into $_FILES.
$f = $_FILES['file'] ?? null;
$line = sprintf("%s %s cl=%s error=%s size=%s md5=%s",
    $_SERVER['REQUEST_METHOD'] ?? '-', $_SERVER['REQUEST_URI'] ?? '-',
    $_SERVER['CONTENT_LENGTH'] ?? '-', $f ? $f['error'] : '-',
    $f ? $f['size'] : '-',
    ($f && is_uploaded_file($f['tmp_name'])) ? md5_file($f['tmp_name']) : '-');
if (!empty($_SERVER['LR_BUFFER_PHP_LOG'])) {
    file_put_contents($_SERVER['LR_BUFFER_PHP_LOG'], "$line\n", FILE_APPEND);
}
header('Content-Type: text/plain');
echo "$line\n";
